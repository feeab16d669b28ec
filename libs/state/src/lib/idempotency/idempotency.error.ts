import { StateError, StateErrorCode } from '../state.error';

/** Codes an {@link IdempotencyError} can carry. */
export type IdempotencyErrorCode = Extract<
  StateErrorCode,
  'IDEMPOTENCY_KEY_REUSED' | 'IDEMPOTENCY_FIRST_RUN_FAILED' | 'IDEMPOTENCY_WAIT_TIMEOUT' | 'IDEMPOTENCY_RESULT_NOT_SERIALIZABLE'
>;

/**
 * Raised by IdempotencyStore.run:
 * - `IDEMPOTENCY_KEY_REUSED`: the key was first used with a different request fingerprint;
 * - `IDEMPOTENCY_FIRST_RUN_FAILED`: this caller waited on a concurrent run that failed (its message is included);
 * - `IDEMPOTENCY_WAIT_TIMEOUT`: the concurrent run did not finish in time;
 * - `IDEMPOTENCY_RESULT_NOT_SERIALIZABLE`: the function's result cannot be stored as JSON.
 */
export class IdempotencyError extends StateError {
  /** @param code see above; @param key the idempotency key; @param message details and advice. */
  constructor(
    code: IdempotencyErrorCode,
    readonly key: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** True when `error` is an IdempotencyError (optionally of the given code). */
export function isIdempotencyError(error: unknown, code?: IdempotencyErrorCode): error is IdempotencyError {
  return error instanceof IdempotencyError && (code === undefined || error.code === code);
}
