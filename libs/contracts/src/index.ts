/**
 * @failsoft/contracts — the gRPC contracts of the platform: `.proto` files (upload, likes, feed,
 * grpc.health.v1), service definitions loaded with one shared set of proto-loader options, and
 * the generated TypeScript types under friendly names, the service catalogue (the list of the
 * platform's services, written once) and the control-API types of `failsoft up`. Public API:
 * everything is re-exported here.
 */
export * from './lib/proto-loader-options';
export * from './lib/service-names';
export * from './lib/limits';
export * from './lib/wire';
export * from './lib/typed-service';
export * from './lib/contracts.error';
export * from './lib/int64';
export * from './lib/load-contracts';
export * from './lib/upload.types';
export * from './lib/likes.types';
export * from './lib/feed.types';
export * from './lib/health.types';
export * from './lib/catalogue/service-catalogue';
export * from './lib/catalogue/service-permissions';
export * from './lib/catalogue/service-limits';
export * from './lib/control/control-api';
