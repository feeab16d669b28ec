/** Stable codes of chaos errors; the control channel maps them to HTTP statuses. */
export type ChaosErrorCode = 'BAD_REQUEST' | 'NOT_FOUND' | 'CONFLICT' | 'UNAVAILABLE' | 'INTERNAL';

/** HTTP status of each {@link ChaosErrorCode}. */
export const CHAOS_ERROR_STATUS: Readonly<Record<ChaosErrorCode, number>> = {
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** An error of a chaos action: a stable `code` plus a message saying what went wrong and what to do. */
export class ChaosError extends Error {
  /** @param code stable code; @param message what went wrong and what to do. */
  constructor(
    readonly code: ChaosErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ChaosError';
  }
}

/** True when `error` is a {@link ChaosError} (optionally of the given code). */
export function isChaosError(error: unknown, code?: ChaosErrorCode): error is ChaosError {
  return error instanceof ChaosError && (code === undefined || error.code === code);
}
