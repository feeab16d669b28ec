import { SidecarError } from '../core/sidecar.error';

/** Raised when a bulkhead is full (code `BULKHEAD_REJECTED`): the call was shed without running. */
export class BulkheadRejectedError extends SidecarError {
  /**
   * @param message what happened and what to do.
   * @param bulkhead name of the bulkhead that rejected the call (`''` when unnamed).
   * @param instanceId set when the bulkhead guards a single instance (the call may go elsewhere).
   */
  constructor(
    message: string,
    readonly bulkhead: string,
    readonly instanceId?: string,
  ) {
    super('BULKHEAD_REJECTED', message);
  }
}

/** True when `error` is a BulkheadRejectedError. */
export function isBulkheadRejectedError(error: unknown): error is BulkheadRejectedError {
  return error instanceof BulkheadRejectedError;
}
