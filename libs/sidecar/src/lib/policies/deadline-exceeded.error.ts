import { SidecarError } from '../core/sidecar.error';

/** Raised when a call's deadline passes (code `DEADLINE_EXCEEDED`). */
export class DeadlineExceededError extends SidecarError {
  /**
   * @param message what happened and what to do.
   * @param deadline the absolute deadline (epoch ms) that passed.
   * @param refused true when the call was refused before running because its deadline had already
   *   passed (the caller ran out of time; the downstream is not at fault).
   */
  constructor(
    message: string,
    readonly deadline: number,
    readonly refused: boolean,
  ) {
    super('DEADLINE_EXCEEDED', message);
  }
}

/** True when `error` is a DeadlineExceededError. */
export function isDeadlineExceededError(error: unknown): error is DeadlineExceededError {
  return error instanceof DeadlineExceededError;
}
