import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, assertOneOf, show } from '../core/validate';
import type { Balancer, LoadTracker } from './balancer';

export type { Balancer } from './balancer';
import { P2cBalancer } from './p2c.balancer';
import { RoundRobinBalancer } from './round-robin.balancer';
import { WeightedRoundRobinBalancer } from './weighted-round-robin.balancer';
import { ZoneAwareBalancer } from './zone-aware.balancer';

/**
 * The built-in balancing algorithms by name: the registry `createBalancer` reads (a new algorithm
 * is one `*.balancer.ts` file and one entry here; see docs/extending.md).
 */
const BALANCERS = {
  p2c: (options: CreateBalancerOptions): Balancer => new P2cBalancer(options),
  'round-robin': (options: CreateBalancerOptions): Balancer => new RoundRobinBalancer(options),
  weighted: (options: CreateBalancerOptions): Balancer => new WeightedRoundRobinBalancer(options),
} as const;

/** Name of a built-in balancing algorithm. */
export type BalancerKind = keyof typeof BALANCERS;

/** The built-in balancing algorithms. */
export const BALANCER_KINDS = Object.freeze(Object.keys(BALANCERS)) as readonly BalancerKind[];

/** Options of `createBalancer`. */
export interface CreateBalancerOptions {
  /** Algorithm: `p2c` (default, least loaded of two random), `round-robin`, `weighted` (smooth WRR). */
  readonly kind?: BalancerKind;
  /** The caller's zone; when non-empty the balancer is wrapped in a ZoneAwareBalancer (`''`: off). */
  readonly zone?: string;
  /** Zone-aware: minimum healthy fraction of the local zone to stay local (default 0.5). */
  readonly minHealthyFraction?: number;
  /** Zone-aware: minimum healthy local instances to stay local (default 1). */
  readonly minHealthy?: number;
  /** Zone-aware: leave the local zone when its candidates carry this factor x the others' calls in flight (default 2). */
  readonly spillLoadFactor?: number;
  /** Zone-aware: ... once they average at least this many calls in flight (default 4). */
  readonly spillMinInFlight?: number;
  /** Random source in [0, 1) (p2c choices, round-robin start); injectable for tests. */
  readonly random?: () => number;
  /** Shared load statistics (read by telemetry); default a new tracker per balancer (then `decayMs`/`failurePenalty` configure it). */
  readonly tracker?: LoadTracker;
  /** p2c: time constant of the peak-EWMA latency in ms (default 10000). */
  readonly decayMs?: number;
  /** p2c: multiplier applied to the latency estimate on failed attempts (default 2). */
  readonly failurePenalty?: number;
}

/**
 * Builds a balancer from options (`{ kind: 'p2c' | 'round-robin' | 'weighted', zone? }`), or
 * returns a user-supplied Balancer object as it is (pluggable).
 * @throws InvalidOptionsError naming the bad option and value.
 */
export function createBalancer(options: CreateBalancerOptions | Balancer = {}): Balancer {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionsError(`balancer options must be an object or a Balancer; got ${show(options)}`);
  }
  if ('pick' in options) {
    if (typeof options.pick !== 'function') {
      throw new InvalidOptionsError(`balancer.pick must be a function; got ${show(options.pick)}`);
    }
    return options;
  }
  const kind = assertOneOf('balancer.kind', options.kind ?? 'p2c', BALANCER_KINDS);
  if (options.zone !== undefined && typeof options.zone !== 'string') {
    throw new InvalidOptionsError(`balancer.zone must be a string; got ${show(options.zone)}`);
  }
  let balancer = BALANCERS[kind](options);
  if (options.zone) {
    balancer = new ZoneAwareBalancer(balancer, {
      zone: options.zone,
      minHealthyFraction: options.minHealthyFraction,
      minHealthy: options.minHealthy,
      spillLoadFactor: options.spillLoadFactor,
      spillMinInFlight: options.spillMinInFlight,
    });
  } else {
    // no zone (e.g. an empty ZONE variable): zone preference is off, but bad values still fail fast
    if (options.minHealthyFraction !== undefined) assertNumber('balancer.minHealthyFraction', options.minHealthyFraction, 0, 1);
    if (options.minHealthy !== undefined) assertNumber('balancer.minHealthy', options.minHealthy, 1, Infinity, true);
    if (options.spillLoadFactor !== undefined) assertNumber('balancer.spillLoadFactor', options.spillLoadFactor, 1);
    if (options.spillMinInFlight !== undefined) assertNumber('balancer.spillMinInFlight', options.spillMinInFlight, 0);
  }
  return balancer;
}
