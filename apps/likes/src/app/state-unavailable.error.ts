import { Metadata, status } from '@grpc/grpc-js';
import { GrpcError } from '@failsoft/sidecar';
import { stateFailureKind, type DurabilityError } from '@failsoft/state';
import { isKeyReused, isLateWrite } from './likes.repository';
import { invalidArgument } from './likes.validation';
import { ERROR_CODE_METADATA_KEY } from '@failsoft/contracts';

/**
 * Maps a failure of Redis during `what` to the status the caller should see:
 * - not confirmed durable (WAIT timed out, connection replaced, not a master) → UNAVAILABLE,
 *   code `NOT_DURABLE`: the outcome is unknown, retrying is safe (Like/Unlike are idempotent);
 * - unreachable, timed out, failing over (READONLY, LOADING, offline queue full ...) → UNAVAILABLE,
 *   code `STATE_UNAVAILABLE` (retryable);
 * - applied after the call's deadline (see LikesRepository) → DEADLINE_EXCEEDED, code `LATE_WRITE`:
 *   nothing was written, the caller has already moved on;
 * - anything else (WRONGTYPE, a script error) is returned as it is: the sidecar answers INTERNAL
 *   and logs it with its stack.
 */
export function toStateError(error: unknown, what: string): unknown {
  if (error instanceof GrpcError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const metadata = new Metadata();
  if (isKeyReused(error)) return invalidArgument('IDEMPOTENCY_KEY_REUSED', `${what}: ${error.message}`);
  if (isLateWrite(error)) {
    metadata.set(ERROR_CODE_METADATA_KEY, 'LATE_WRITE');
    return new GrpcError(status.DEADLINE_EXCEEDED, `${what} arrived after its deadline: ${error.message}`, undefined, metadata);
  }
  switch (stateFailureKind(error)) {
    case 'bug':
      return error;
    case 'not-durable':
      metadata.set(ERROR_CODE_METADATA_KEY, 'NOT_DURABLE');
      return new GrpcError(status.UNAVAILABLE, `${what} was not confirmed by a replica (${(error as DurabilityError).reason}); retry: it is idempotent`, undefined, metadata);
    case 'unavailable':
      metadata.set(ERROR_CODE_METADATA_KEY, 'STATE_UNAVAILABLE');
      return new GrpcError(status.UNAVAILABLE, `${what} failed: state store unavailable (${message}); retry later`, undefined, metadata);
  }
}
