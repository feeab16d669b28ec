/**
 * gRPC status codes as plain constants, so policies can classify errors without importing
 * `@grpc/grpc-js` at runtime. Values match `@grpc/grpc-js`'s `status` enum (and the gRPC spec).
 */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** A numeric gRPC status code (0 … 16). */
export type GrpcStatusCode = (typeof GrpcStatus)[keyof typeof GrpcStatus];

/** The shape of an error raised by a gRPC call (`@grpc/grpc-js`'s ServiceError, structurally). */
export interface GrpcErrorLike {
  /** Numeric gRPC status code. */
  readonly code: number;
  /** Status details (message sent by the server). */
  readonly details?: string;
  /** Trailing metadata. */
  readonly metadata?: unknown;
}

/**
 * Status codes worth retrying on another instance: the server did not process the request
 * (UNAVAILABLE) or shed it (RESOURCE_EXHAUSTED).
 */
export const retryableGrpcCodes: readonly GrpcStatusCode[] = Object.freeze([GrpcStatus.UNAVAILABLE, GrpcStatus.RESOURCE_EXHAUSTED]);

/**
 * Status codes that mean the server (or the path to it) is at fault; they count as failures for
 * circuit breakers. Client errors (INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED ...) do not.
 */
export const serverFaultGrpcCodes: readonly GrpcStatusCode[] = Object.freeze([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.INTERNAL,
  GrpcStatus.UNKNOWN,
  GrpcStatus.RESOURCE_EXHAUSTED,
  GrpcStatus.DATA_LOSS,
]);

/**
 * True when `error` looks like a gRPC call error: an object with a numeric `code` and a
 * `metadata` or `details` property (sidecar errors have string codes and never match).
 */
export function isGrpcError(error: unknown): error is GrpcErrorLike {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'number' &&
    ('metadata' in error || 'details' in error)
  );
}

/** The gRPC status code of `error`, or `undefined` when it is not a gRPC error. */
export function grpcStatusOf(error: unknown): number | undefined {
  return isGrpcError(error) ? error.code : undefined;
}
