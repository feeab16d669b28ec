import { Metadata, status } from '@grpc/grpc-js';
import { GrpcError } from '@failsoft/sidecar';
import { ERROR_CODE_METADATA_KEY } from '@failsoft/contracts';
import { stateFailureKind } from '@failsoft/state';

/**
 * Maps a failure of Redis during `what` to the status the caller sees: unreachable, timed out or
 * failing over → UNAVAILABLE with code `STATE_UNAVAILABLE` (retryable: the methods are idempotent);
 * a GrpcError or a real bug (WRONGTYPE, script error) is returned as it is (the latter is answered
 * INTERNAL and logged by the sidecar).
 */
export function toStateError(error: unknown, what: string): unknown {
  if (error instanceof GrpcError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (stateFailureKind(error) === 'bug') return error;
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_METADATA_KEY, 'STATE_UNAVAILABLE');
  return new GrpcError(status.UNAVAILABLE, `${what} failed: state store unavailable (${message}); retry later`, undefined, metadata);
}
