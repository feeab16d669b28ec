import { status } from '@grpc/grpc-js';
import { SidecarError } from '../core/sidecar.error';

/** Raised when an incoming call carries no valid credentials (code `UNAUTHENTICATED`, gRPC status 16). */
export class UnauthenticatedError extends SidecarError {
  /** The gRPC status the server answers with. */
  readonly grpcCode = status.UNAUTHENTICATED;

  /** @param message why the call was rejected (never echoes the presented credentials). */
  constructor(message: string) {
    super('UNAUTHENTICATED', message);
  }
}

/** True when `error` is an UnauthenticatedError. */
export function isUnauthenticatedError(error: unknown): error is UnauthenticatedError {
  return error instanceof UnauthenticatedError;
}
