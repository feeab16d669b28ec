import { StateError } from '../state.error';

/**
 * Raised when a fenced write carries a token that is not the newest of its lease: its holder lost
 * the lease (a newer term exists) and must stop acting as leader. Code `STALE_FENCING_TOKEN`.
 */
export class FencingError extends StateError {
  /** @param lease lease name; @param token the rejected token; @param current the newest token. */
  constructor(
    readonly lease: string,
    readonly token: number,
    readonly current: number,
  ) {
    super(
      'STALE_FENCING_TOKEN',
      token < current
        ? `fenced write on lease "${lease}" rejected: token ${token} is stale (the current term has token ${current}); ` +
            'another holder took the lease since, so this process must stop acting as leader'
        : `fenced write on lease "${lease}" rejected: token ${token} was never issued (the newest is ${current}); ` +
            'pass the token from the lease you hold (Lease.token)',
    );
  }
}

/** True when `error` is a FencingError (code `STALE_FENCING_TOKEN`). */
export function isFencingError(error: unknown): error is FencingError {
  return error instanceof FencingError;
}

/** Raised when an operation needs a lease this process does not hold. Code `LEASE_NOT_HELD`. */
export class LeaseNotHeldError extends StateError {
  /** @param lease lease name; @param action what was attempted. */
  constructor(
    readonly lease: string,
    action: string,
  ) {
    super('LEASE_NOT_HELD', `cannot ${action}: lease "${lease}" is not held by this process (acquire() it first, or wait for onAcquired)`);
  }
}

/** True when `error` is a LeaseNotHeldError. */
export function isLeaseNotHeldError(error: unknown): error is LeaseNotHeldError {
  return error instanceof LeaseNotHeldError;
}
