import { isDurabilityError } from './durable/durability.error';

/**
 * What a failed state operation means for the caller:
 * - `not-durable`: the write may or may not have happened (WAIT not confirmed, see DurabilityError);
 *   a retry of an idempotent write is safe;
 * - `unavailable`: Redis unreachable, timing out or failing over (READONLY, LOADING, offline queue
 *   full ...); retry later;
 * - `bug`: a reply that means a bug or corrupt data (WRONGTYPE, ERR from a script), not an outage:
 *   let it surface as an internal error.
 */
export type StateFailureKind = 'not-durable' | 'unavailable' | 'bug';

/** Redis replies that mean a bug or corrupt data rather than an outage. */
const NOT_AN_OUTAGE = /^(WRONGTYPE|ERR)\b/;

/** Classifies the error of a state operation (see {@link StateFailureKind}), so services map it the same way. */
export function stateFailureKind(error: unknown): StateFailureKind {
  if (isDurabilityError(error)) return 'not-durable';
  if (error instanceof Error && error.name === 'ReplyError' && NOT_AN_OUTAGE.test(error.message)) return 'bug';
  return 'unavailable';
}
