import type { CallInfo } from '../core/policy';
import type { ServiceInstance } from '../core/instance';
import { type Balancer, type CallOutcome, LoadTracker } from './balancer';

/** Options of the weighted round-robin balancer. */
export interface WeightedRoundRobinBalancerOptions {
  /** Load statistics to keep up to date (for telemetry); default a new one. */
  readonly tracker?: LoadTracker;
}

/** Per-instance running weight of the smooth algorithm. */
interface WeightState {
  current: number;
}

/** The weight used for `instance`: its `weight` when a finite number > 0, else 1. */
export function effectiveWeight(instance: ServiceInstance): number {
  const w = instance.weight;
  return w > 0 && w < Infinity ? w : 1;
}

/**
 * Smooth weighted round-robin (nginx): every pick adds each candidate's weight to its running
 * value, picks the largest and subtracts the total from it. Instances with weights 3:1 get
 * picks in the order a a b a a a b a ... — proportional and evenly interleaved.
 * O(candidates) per pick with no allocation once every instance has been seen.
 */
export class WeightedRoundRobinBalancer implements Balancer {
  /** Load statistics kept for telemetry. */
  readonly tracker: LoadTracker;
  private readonly states = new Map<string, WeightState>();

  /** @throws InvalidOptionsError on bad options. */
  constructor(options: WeightedRoundRobinBalancerOptions = {}) {
    this.tracker = options.tracker ?? new LoadTracker();
  }

  /** The next candidate by smooth weighted round-robin; `undefined` when there are none. */
  pick(candidates: readonly ServiceInstance[], _call?: CallInfo): ServiceInstance | undefined {
    const n = candidates.length;
    if (n <= 1) return candidates[0];
    if (this.states.size > 4 * n + 64) this.states.clear(); // forget instances long gone
    let total = 0;
    let best: ServiceInstance | undefined;
    let bestState: WeightState | undefined;
    for (let i = 0; i < n; i++) {
      const instance = candidates[i];
      let state = this.states.get(instance.id);
      if (state === undefined) {
        state = { current: 0 };
        this.states.set(instance.id, state);
      }
      const weight = effectiveWeight(instance);
      state.current += weight;
      total += weight;
      if (bestState === undefined || state.current > bestState.current) {
        best = instance;
        bestState = state;
      }
    }
    (bestState as WeightState).current -= total;
    return best;
  }

  /** Counts the attempt as outstanding. */
  onStart(instance: ServiceInstance): void {
    this.tracker.start(instance.id);
  }

  /** Records the attempt. */
  onEnd(instance: ServiceInstance, outcome: CallOutcome): void {
    this.tracker.end(instance.id, outcome.ok, outcome.latencyMs);
  }

  /** Drops the running weights and statistics. */
  shutdown(): void {
    this.states.clear();
    this.tracker.shutdown();
  }
}
