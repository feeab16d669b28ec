import type { CallInfo } from '../core/policy';
import type { ServiceInstance } from '../core/instance';
import { assertRandom, type Balancer, type CallOutcome, LoadTracker, type LoadTrackerOptions } from './balancer';

/** Options of the power-of-two-choices balancer. */
export interface P2cBalancerOptions extends LoadTrackerOptions {
  /** Random source in [0, 1); injectable for deterministic tests. Default `Math.random`. */
  readonly random?: () => number;
  /** Load statistics to use (share one tracker between balancers/telemetry); default a new one. */
  readonly tracker?: LoadTracker;
}

/**
 * Power-of-two-choices least-loaded balancer (the default): picks two distinct random
 * candidates and sends the call to the cheaper one, where cost combines requests in flight
 * and peak-EWMA latency (see LoadTracker). Under concurrency a slow instance accumulates
 * outstanding requests; at low concurrency its latency estimate keeps it out, so it gets
 * clearly less traffic either way. O(1) and allocation-free per pick.
 */
export class P2cBalancer implements Balancer {
  /** The load statistics this balancer reads and updates. */
  readonly tracker: LoadTracker;
  private readonly random: () => number;

  /** @throws InvalidOptionsError on bad options. */
  constructor(options: P2cBalancerOptions = {}) {
    this.random = assertRandom('p2c.random', options.random);
    this.tracker = options.tracker ?? new LoadTracker(options);
  }

  /** Picks the cheaper of two random distinct candidates; `undefined` when there are none. */
  pick(candidates: readonly ServiceInstance[], _call?: CallInfo): ServiceInstance | undefined {
    const n = candidates.length;
    if (n <= 1) return candidates[0];
    const i = Math.min(n - 1, Math.floor(this.random() * n));
    let j = Math.min(n - 2, Math.floor(this.random() * (n - 1)));
    if (j >= i) j++;
    const a = candidates[i];
    const b = candidates[j];
    const now = this.tracker.clock();
    return this.tracker.cost(b.id, now) < this.tracker.cost(a.id, now) ? b : a;
  }

  /** Counts the attempt as outstanding. */
  onStart(instance: ServiceInstance): void {
    this.tracker.start(instance.id);
  }

  /** Records the attempt's latency and outcome. */
  onEnd(instance: ServiceInstance, outcome: CallOutcome): void {
    this.tracker.end(instance.id, outcome.ok, outcome.latencyMs);
  }

  /** Drops the load statistics. */
  shutdown(): void {
    this.tracker.shutdown();
  }
}
