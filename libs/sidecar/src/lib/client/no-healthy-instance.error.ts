import { SidecarError } from '../core/sidecar.error';

/** Raised when a service has no instance a call could use (none known, or all ejected). */
export class NoHealthyInstanceError extends SidecarError {
  /**
   * @param service the downstream service.
   * @param known how many instances discovery knows (0: none registered or discovery unreachable).
   */
  constructor(
    readonly service: string,
    readonly known: number,
  ) {
    super(
      'NO_HEALTHY_INSTANCE',
      known === 0
        ? `no instance of "${service}" is known: is it running and registered in discovery?`
        : `all ${known} instance(s) of "${service}" are ejected after failing; retry shortly`,
    );
  }
}

/** True when `error` is a NoHealthyInstanceError. */
export function isNoHealthyInstanceError(error: unknown): error is NoHealthyInstanceError {
  return error instanceof NoHealthyInstanceError;
}
