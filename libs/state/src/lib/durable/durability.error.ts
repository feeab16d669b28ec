import { StateError } from '../state.error';

/** Why a durable write could not be confirmed. */
export type DurabilityFailure = 'TIMEOUT' | 'CONNECTION_CHANGED' | 'NOT_MASTER' | 'WAIT_FAILED' | 'NOT_CONNECTED' | 'UNCONFIRMED';

/**
 * Raised when a write was (probably) applied on the master but `WAIT` did not confirm that enough
 * replicas have it: the write must not be reported as acknowledged. Code `NOT_DURABLE`.
 */
export class DurabilityError extends StateError {
  /**
   * @param reason why it is not confirmed; @param acknowledged replicas that confirmed;
   * @param required replicas asked for; @param timeoutMs the WAIT timeout used.
   */
  constructor(
    readonly reason: DurabilityFailure,
    readonly acknowledged: number,
    readonly required: number,
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super('NOT_DURABLE', DurabilityError.describe(reason, acknowledged, required, timeoutMs, options?.cause), options);
  }

  /** Builds the message: what happened, what it means, what to do. */
  private static describe(reason: DurabilityFailure, acknowledged: number, required: number, timeoutMs: number, cause: unknown): string {
    const advice = 'Treat the outcome as unknown: retry the write (it should be idempotent, e.g. with an idempotency key) or report a failure.';
    switch (reason) {
      case 'TIMEOUT':
        return (
          `write not durable: ${acknowledged} of ${required} required replica(s) acknowledged it within ${timeoutMs} ms. ` +
          `It is applied on the master but could be lost if the master fails now. ${advice} ` +
          `If this persists, check replica health, raise durable.timeoutMs or lower durable.replicas.`
        );
      case 'CONNECTION_CHANGED':
        return `write not durable: the connection to redis was replaced between the write and its WAIT (failover or reconnect), so its replication cannot be confirmed. ${advice}`;
      case 'NOT_CONNECTED':
        return `write not attempted: redis was not reachable within ${timeoutMs} ms (reconnecting, e.g. during a failover); nothing was written. Retry later.`;
      case 'UNCONFIRMED':
        return `write not durable: the sentinels could not confirm that every replica they could promote has it (${cause instanceof Error ? cause.message : String(cause)}); a network partition or a failover is likely. ${advice}`;
      case 'NOT_MASTER':
        return `write not durable: the server that took the write is not a master. ${advice}`;
      default:
        return `write not durable: WAIT failed (${cause instanceof Error ? cause.message : String(cause)}). ${advice}`;
    }
  }
}

/** True when `error` is a DurabilityError (code `NOT_DURABLE`). */
export function isDurabilityError(error: unknown): error is DurabilityError {
  return error instanceof DurabilityError;
}
