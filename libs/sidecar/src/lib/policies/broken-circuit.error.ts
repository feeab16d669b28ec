import { SidecarError } from '../core/sidecar.error';

/** Raised when an open circuit breaker rejects a call without running it (code `BROKEN_CIRCUIT`). */
export class BrokenCircuitError extends SidecarError {
  /**
   * @param message what happened and what to do.
   * @param breaker name of the breaker that rejected the call.
   * @param retryAfterMs how long until the breaker lets a probe through (0 when a probe is in flight
   *   or due); suitable for a `Retry-After` header.
   * @param instanceId set when the breaker guards a single instance (the call may go elsewhere).
   */
  constructor(
    message: string,
    readonly breaker: string,
    readonly retryAfterMs: number,
    readonly instanceId?: string,
  ) {
    super('BROKEN_CIRCUIT', message);
  }
}

/** True when `error` is a BrokenCircuitError. */
export function isBrokenCircuitError(error: unknown): error is BrokenCircuitError {
  return error instanceof BrokenCircuitError;
}
