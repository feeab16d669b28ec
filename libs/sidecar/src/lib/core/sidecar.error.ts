/** Stable machine-readable codes of every error the sidecar raises. */
export type SidecarErrorCode =
  | 'INVALID_OPTIONS'
  | 'INVALID_ARGUMENT'
  | 'BROKEN_CIRCUIT'
  | 'BULKHEAD_REJECTED'
  | 'DEADLINE_EXCEEDED'
  | 'RETRY_BUDGET_EXHAUSTED'
  | 'NO_HEALTHY_INSTANCE'
  | 'ABORTED'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'DRAINING'
  | 'INJECTED_FAULT'
  | 'DISCOVERY_UNAVAILABLE'
  | 'BIND_FAILED';

/** Base class of sidecar errors: carries a stable `code` to branch on (never parse messages). */
export class SidecarError extends Error {
  /** @param code stable code; @param message what went wrong and what to do. */
  constructor(
    readonly code: SidecarErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** True when `error` is any sidecar error (optionally of the given code). */
export function isSidecarError(error: unknown, code?: SidecarErrorCode): error is SidecarError {
  return error instanceof SidecarError && (code === undefined || error.code === code);
}

/** Raised when options are invalid; the message names the option and the bad value. */
export class InvalidOptionsError extends SidecarError {
  /** @param message names the option, the bad value and what is accepted. */
  constructor(message: string) {
    super('INVALID_OPTIONS', message);
  }
}

/** True when `error` is an InvalidOptionsError. */
export function isInvalidOptionsError(error: unknown): error is InvalidOptionsError {
  return error instanceof InvalidOptionsError;
}
