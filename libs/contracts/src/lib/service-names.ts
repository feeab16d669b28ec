/** Fully-qualified gRPC name of the upload service (package `failsoft.upload.v1`). */
export const UPLOAD_SERVICE = 'failsoft.upload.v1.UploadService';
/** Fully-qualified gRPC name of the likes service (package `failsoft.likes.v1`). */
export const LIKES_SERVICE = 'failsoft.likes.v1.LikesService';
/** Fully-qualified gRPC name of the feed service (package `failsoft.feed.v1`). */
export const FEED_SERVICE = 'failsoft.feed.v1.FeedService';
/** Fully-qualified gRPC name of the standard health service (`grpc.health.v1`). */
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

/** Any fully-qualified service name defined by the contracts. */
export type ContractServiceName = typeof UPLOAD_SERVICE | typeof LIKES_SERVICE | typeof FEED_SERVICE | typeof HEALTH_SERVICE;

/** Every service name defined by the contracts. */
export const CONTRACT_SERVICE_NAMES: readonly ContractServiceName[] = Object.freeze([UPLOAD_SERVICE, LIKES_SERVICE, FEED_SERVICE, HEALTH_SERVICE]);

/** `.proto` files (relative to the proto root) that define each service. */
export const PROTO_FILES: Readonly<Record<ContractServiceName, string>> = Object.freeze({
  [UPLOAD_SERVICE]: 'failsoft/upload/v1/upload.proto',
  [LIKES_SERVICE]: 'failsoft/likes/v1/likes.proto',
  [FEED_SERVICE]: 'failsoft/feed/v1/feed.proto',
  [HEALTH_SERVICE]: 'grpc/health/v1/health.proto',
});
