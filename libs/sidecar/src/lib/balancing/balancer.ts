import type { CallInfo } from '../core/policy';
import type { ServiceInstance } from '../core/instance';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, show } from '../core/validate';

/** How a call attempt on one instance ended, as reported to the balancer. */
export interface CallOutcome {
  /**
   * False when the attempt failed because of the instance or the transport (UNAVAILABLE,
   * DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED ...); business errors (NOT_FOUND ...) count as ok.
   */
  readonly ok: boolean;
  /** Wall-clock duration of the attempt in milliseconds. */
  readonly latencyMs: number;
}

/**
 * Chooses the instance for one call attempt. `pick()` runs on every call, so implementations
 * must be cheap (no allocation on the common path) and must never wait on I/O.
 *
 * The caller (the client) calls `onStart(instance)` when the attempt begins and
 * `onEnd(instance, outcome)` exactly once when it ends.
 */
export interface Balancer {
  /**
   * Picks one of `candidates` (already filtered: not ejected, not tried; see `selectCandidates`)
   * or returns `undefined` when `candidates` is empty.
   * `view` is the resolver's full view (healthy or not) when the caller has it; zone-aware
   * balancing uses it to judge what fraction of the local zone is healthy.
   * Implementations must not keep a reference to `candidates` beyond the call's identity checks.
   */
  pick(candidates: readonly ServiceInstance[], call: CallInfo, view?: readonly ServiceInstance[]): ServiceInstance | undefined;
  /** An attempt on `instance` started. */
  onStart?(instance: ServiceInstance): void;
  /** The attempt on `instance` ended. */
  onEnd?(instance: ServiceInstance, outcome: CallOutcome): void;
  /** Drops the balancer's state (load statistics, counters). */
  shutdown?(): void;
}

/** Options of a LoadTracker. */
export interface LoadTrackerOptions {
  /**
   * Time constant (ms) of the peak-EWMA latency: older samples weigh `exp(-age / decayMs)`, and an
   * idle instance's latency estimate decays toward 0 with it, so a once-slow instance is probed
   * again eventually. Default 10000 (as Linkerd and Finagle).
   */
  readonly decayMs?: number;
  /**
   * A failed attempt is recorded as `max(latencyMs, currentEstimate × failurePenalty)`, so an
   * instance failing fast does not attract traffic (no "black hole"). `1` disables. Default 2.
   */
  readonly failurePenalty?: number;
  /** Clock in ms (monotonic); injectable for simulations. Default `performance.now`. */
  readonly now?: () => number;
}

/** Mutable per-instance statistics (one object per instance id, reused forever). */
class InstanceLoad {
  outstanding = 0;
  /** Peak-EWMA latency in ms as of `stamp`. */
  ewmaMs = 0;
  stamp = 0;
  samples = 0;
}

/** Cost of an instance that has requests in flight but has never answered (Finagle's penalty). */
const UNKNOWN_PENALTY = 1e9;

/**
 * Tracks, per instance id, the requests in flight (outstanding) and a peak-EWMA latency
 * estimate (Linkerd / Finagle style). Shared by balancers; also readable by telemetry.
 *
 * Cost of an instance (lower is better): `(peakEwmaMs + 1) × (outstanding + 1)`; an instance
 * never seen costs 0 (it is probed), one with requests in flight but no answer yet costs a large
 * penalty (one probe at a time until it answers).
 */
export class LoadTracker {
  private readonly loads = new Map<string, InstanceLoad>();
  private readonly decayMs: number;
  private readonly failurePenalty: number;
  private readonly now: () => number;

  /** @throws InvalidOptionsError on bad options (the message names the option and value). */
  constructor(options: LoadTrackerOptions = {}) {
    this.decayMs = assertNumber('loadTracker.decayMs', options.decayMs ?? 10_000, 1);
    this.failurePenalty = assertNumber('loadTracker.failurePenalty', options.failurePenalty ?? 2, 1);
    this.now = assertFunction('loadTracker.now', options.now, 'a function returning milliseconds') ?? (() => performance.now());
  }

  /** Number of instances with statistics. */
  get size(): number {
    return this.loads.size;
  }

  /** An attempt on instance `id` started. */
  start(id: string): void {
    let load = this.loads.get(id);
    if (load === undefined) {
      load = new InstanceLoad();
      load.stamp = this.now();
      this.loads.set(id, load);
    }
    load.outstanding++;
  }

  /** An attempt on instance `id` ended after `latencyMs` (failed when `ok` is false). */
  end(id: string, ok: boolean, latencyMs: number): void {
    const load = this.loads.get(id);
    if (load === undefined) return; // forgotten meanwhile (instance left the view)
    if (load.outstanding > 0) load.outstanding--;
    if (!(latencyMs >= 0)) latencyMs = 0; // NaN / negative clock glitches
    const now = this.now();
    const decayed = load.samples === 0 ? 0 : load.ewmaMs * Math.exp(-(now - load.stamp) / this.decayMs);
    const sample = ok ? latencyMs : Math.max(latencyMs, decayed * this.failurePenalty);
    if (sample > decayed || load.samples === 0) {
      load.ewmaMs = sample; // peak: jump up at once
    } else {
      const w = Math.exp(-(now - load.stamp) / this.decayMs);
      load.ewmaMs = load.ewmaMs * w + sample * (1 - w);
    }
    load.stamp = now;
    load.samples++;
  }

  /** Requests in flight on instance `id`. */
  outstanding(id: string): number {
    return this.loads.get(id)?.outstanding ?? 0;
  }

  /** Current (idle-decayed) peak-EWMA latency of `id` in ms; 0 when unknown. */
  latencyMs(id: string, now: number = this.now()): number {
    const load = this.loads.get(id);
    if (load === undefined || load.samples === 0) return 0;
    return load.ewmaMs * Math.exp(-(now - load.stamp) / this.decayMs);
  }

  /** Load cost of `id` at time `now` (lower is better); see the class description. */
  cost(id: string, now: number = this.now()): number {
    const load = this.loads.get(id);
    if (load === undefined) return 0;
    if (load.samples === 0) return load.outstanding === 0 ? 0 : UNKNOWN_PENALTY + load.outstanding;
    return (load.ewmaMs * Math.exp(-(now - load.stamp) / this.decayMs) + 1) * (load.outstanding + 1);
  }

  /** The tracker's clock (ms). */
  clock(): number {
    return this.now();
  }

  /**
   * Forgets the statistics of instances not in `instances` (call when the view changes); entries
   * with requests in flight are kept until those end.
   */
  retain(instances: readonly ServiceInstance[]): void {
    if (this.loads.size === 0) return;
    const keep = new Set<string>();
    for (const instance of instances) keep.add(instance.id);
    for (const [id, load] of this.loads) {
      if (!keep.has(id) && load.outstanding === 0) this.loads.delete(id);
    }
  }

  /** Drops all statistics. */
  shutdown(): void {
    this.loads.clear();
  }
}

/**
 * Checks an optional function option; throws InvalidOptionsError naming the option and value.
 * @internal shared by the balancing folder.
 */
export function assertFunction<F>(name: string, value: unknown, what: string): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new InvalidOptionsError(`${name} must be ${what}; got ${show(value)}`);
  return value as F;
}

/** Validates an injectable random source (default `Math.random`). @internal */
export function assertRandom(name: string, random: unknown): () => number {
  return assertFunction<() => number>(name, random, 'a function returning a number in [0, 1)') ?? Math.random;
}

/**
 * A small deterministic random source (mulberry32) returning numbers in [0, 1): inject it as a
 * balancer's `random` for reproducible tests and simulations.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
