/**
 * @failsoft/sidecar — an in-process service mesh for gRPC services.
 * Public API: everything users may import is re-exported here.
 */
export * from './lib/core/index';
export * from './lib/config/index';
