import type { CallInfo } from '../core/policy';
import type { ServiceInstance } from '../core/instance';
import { assertRandom, type Balancer, type CallOutcome, LoadTracker } from './balancer';

/** Options of the round-robin balancer. */
export interface RoundRobinBalancerOptions {
  /** Random source used once to pick the starting position (so clients do not all start at 0). */
  readonly random?: () => number;
  /** Load statistics to keep up to date (for telemetry); default a new one. */
  readonly tracker?: LoadTracker;
}

/** Cycles through the candidates in order. O(1), allocation-free. */
export class RoundRobinBalancer implements Balancer {
  /** Load statistics kept for telemetry (round-robin itself ignores load). */
  readonly tracker: LoadTracker;
  private next: number;

  /** @throws InvalidOptionsError on bad options. */
  constructor(options: RoundRobinBalancerOptions = {}) {
    const random = assertRandom('roundRobin.random', options.random);
    this.tracker = options.tracker ?? new LoadTracker();
    this.next = Math.floor(random() * 1024);
  }

  /** The next candidate in turn; `undefined` when there are none. */
  pick(candidates: readonly ServiceInstance[], _call?: CallInfo): ServiceInstance | undefined {
    const n = candidates.length;
    if (n === 0) return undefined;
    const index = this.next % n;
    this.next = this.next >= 0x3fffffff ? 0 : this.next + 1;
    return candidates[index];
  }

  /** Counts the attempt as outstanding. */
  onStart(instance: ServiceInstance): void {
    this.tracker.start(instance.id);
  }

  /** Records the attempt. */
  onEnd(instance: ServiceInstance, outcome: CallOutcome): void {
    this.tracker.end(instance.id, outcome.ok, outcome.latencyMs);
  }

  /** Drops the statistics. */
  shutdown(): void {
    this.tracker.shutdown();
  }
}
