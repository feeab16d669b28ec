/** Stable machine-readable codes of every error @failsoft/state raises. */
export type StateErrorCode =
  | 'INVALID_OPTIONS'
  | 'INVALID_ARGUMENT'
  | 'OFFLINE_QUEUE_FULL'
  | 'NOT_DURABLE'
  | 'STALE_FENCING_TOKEN'
  | 'LEASE_NOT_HELD'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_FIRST_RUN_FAILED'
  | 'IDEMPOTENCY_WAIT_TIMEOUT'
  | 'IDEMPOTENCY_RESULT_NOT_SERIALIZABLE'
  | 'SHUT_DOWN'
  | 'RESP_PROTOCOL';

/** Base class of state errors: carries a stable `code` to branch on (never parse messages). */
export class StateError extends Error {
  /** @param code stable code; @param message what went wrong and what to do. */
  constructor(
    readonly code: StateErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** True when `error` is any state error (optionally of the given code). */
export function isStateError(error: unknown, code?: StateErrorCode): error is StateError {
  return error instanceof StateError && (code === undefined || error.code === code);
}

/** Raised when options are invalid; the message names the option and the bad value. */
export class StateOptionsError extends StateError {
  /** @param message names the option, the bad value and what is accepted. */
  constructor(message: string) {
    super('INVALID_OPTIONS', message);
  }
}

/** True when `error` is a StateOptionsError. */
export function isStateOptionsError(error: unknown): error is StateOptionsError {
  return error instanceof StateOptionsError;
}

/** Raised when a call argument is invalid (a key, a command...); the message names the bad value. */
export class InvalidArgumentError extends StateError {
  /** @param message names the argument, the bad value and what is accepted. */
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** True when `error` is an InvalidArgumentError. */
export function isInvalidArgumentError(error: unknown): error is InvalidArgumentError {
  return error instanceof InvalidArgumentError;
}

/** Raised by an object after its `shutdown()` was called. */
export class ShutDownError extends StateError {
  /** @param what the object that was shut down. */
  constructor(what: string) {
    super('SHUT_DOWN', `${what} was shut down; create a new one`);
  }
}

/** True when `error` is a ShutDownError. */
export function isShutDownError(error: unknown): error is ShutDownError {
  return error instanceof ShutDownError;
}
