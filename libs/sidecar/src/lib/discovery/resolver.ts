import type { Event } from '../core/event';
import type { ServiceInstance } from '../core/instance';

/**
 * Where a client learns the instances of one downstream service. The view is local: reading
 * it is synchronous and never waits on the source, so a request never waits on discovery.
 */
export interface Resolver {
  /** The service whose instances this resolver tracks. */
  readonly service: string;
  /**
   * The current local view, sorted by id. The same frozen array is returned until the view
   * changes (callers may cache per-view data by array identity).
   */
  instances(): readonly ServiceInstance[];
  /** Fires with the new view whenever the set of instances actually changes. */
  readonly onChange: Event<readonly ServiceInstance[]>;
  /** True while the source is unreachable and the last known view is being kept (fail-static). */
  readonly stale: boolean;
  /**
   * Loads the first view. Never hangs when the source is down: resolves after a bounded wait
   * keeping an empty (or the last) view and `stale = true`. Idempotent.
   */
  start(): Promise<void>;
  /** Stops timers and connections; the last view stays readable. Idempotent. */
  shutdown(): Promise<void>;
}

/** True when `value` looks like a Resolver (duck-typed, for pluggable resolvers). */
export function isResolver(value: unknown): value is Resolver {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<Record<keyof Resolver, unknown>>;
  return (
    typeof r.instances === 'function' &&
    typeof r.onChange === 'function' &&
    typeof r.start === 'function' &&
    typeof r.shutdown === 'function' &&
    typeof r.service === 'string'
  );
}

/** The empty view (shared, frozen). */
export const EMPTY_VIEW: readonly ServiceInstance[] = Object.freeze([]);
