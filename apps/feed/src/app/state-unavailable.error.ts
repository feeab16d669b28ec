import { Metadata, status } from '@grpc/grpc-js';
import { GrpcError } from '@failsoft/sidecar';
import { ERROR_CODE_TRAILER } from './feed.validation';

/** Redis replies that mean a bug or corrupt data rather than an outage (answered INTERNAL). */
const NOT_AN_OUTAGE = /^(WRONGTYPE|ERR)\b/;

/**
 * Maps a failure of Redis during `what` to the status the caller sees: unreachable, timed out or
 * failing over → UNAVAILABLE with code `STATE_UNAVAILABLE` (retryable: the methods are idempotent);
 * a GrpcError or a real bug (WRONGTYPE, script error) is returned as it is (the latter is answered
 * INTERNAL and logged by the sidecar).
 */
export function toStateError(error: unknown, what: string): unknown {
  if (error instanceof GrpcError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === 'ReplyError' && NOT_AN_OUTAGE.test(message)) return error;
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_TRAILER, 'STATE_UNAVAILABLE');
  return new GrpcError(status.UNAVAILABLE, `${what} failed: state store unavailable (${message}); retry later`, undefined, metadata);
}
