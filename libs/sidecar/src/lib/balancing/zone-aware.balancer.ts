import type { CallInfo } from '../core/policy';
import type { ServiceInstance } from '../core/instance';
import { EventEmitter, type Event } from '../core/event';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, show } from '../core/validate';
import type { Balancer, CallOutcome } from './balancer';

/** Options of the zone-aware balancer. */
export interface ZoneAwareBalancerOptions {
  /** The caller's zone; `''` disables zone preference (everything passes through). */
  readonly zone: string;
  /**
   * Stay in the local zone only while at least this fraction of its instances (in the view)
   * are healthy candidates, from 0 to 1. Default 0.5.
   */
  readonly minHealthyFraction?: number;
  /** Stay in the local zone only while at least this many local candidates remain. Default 1. */
  readonly minHealthy?: number;
}

/** Emitted when the balancer starts or stops spilling over to other zones. */
export interface SpilloverEvent {
  /** The caller's zone. */
  readonly zone: string;
  /** True when calls now go to all zones, false when back to the local zone only. */
  readonly spilling: boolean;
  /** Healthy local candidates at the time of the switch. */
  readonly localHealthy: number;
  /** Local instances in the view at the time of the switch. */
  readonly localTotal: number;
}

/**
 * Wraps another balancer and prefers candidates in the caller's zone while enough of them are
 * healthy (`minHealthy` and `minHealthyFraction` of the zone's instances in the view); otherwise
 * it spills over and lets the inner balancer choose among all candidates of every zone.
 * The local subset is computed once per candidates array (cached by identity), so the common
 * path allocates nothing.
 */
export class ZoneAwareBalancer implements Balancer {
  /** The caller's zone. */
  readonly zone: string;
  private readonly minHealthyFraction: number;
  private readonly minHealthy: number;
  private readonly spillover = new EventEmitter<SpilloverEvent>();
  private spilling = false;
  private candidatesRef: readonly ServiceInstance[] | undefined;
  private localCandidates: readonly ServiceInstance[] = [];
  private viewRef: readonly ServiceInstance[] | undefined;
  private localInView = 0;

  /** Fires when calls start or stop spilling over to other zones. */
  readonly onSpillover: Event<SpilloverEvent> = this.spillover.event;

  /** @param inner chooses within the selected subset. @throws InvalidOptionsError on bad options. */
  constructor(
    readonly inner: Balancer,
    options: ZoneAwareBalancerOptions,
  ) {
    if (inner === null || typeof inner !== 'object' || typeof inner.pick !== 'function') {
      throw new InvalidOptionsError(`zoneAware.inner must be a Balancer (an object with pick()); got ${show(inner)}`);
    }
    if (options === null || typeof options !== 'object') {
      throw new InvalidOptionsError(`zoneAware options must be an object; got ${show(options)}`);
    }
    if (typeof options.zone !== 'string') {
      throw new InvalidOptionsError(`zoneAware.zone must be a string ('' for none); got ${show(options.zone)}`);
    }
    this.zone = options.zone;
    this.minHealthyFraction = assertNumber('zoneAware.minHealthyFraction', options.minHealthyFraction ?? 0.5, 0, 1);
    this.minHealthy = assertNumber('zoneAware.minHealthy', options.minHealthy ?? 1, 1, Infinity, true);
  }

  /** Picks among local candidates when the local zone is healthy enough, else among all. */
  pick(candidates: readonly ServiceInstance[], call: CallInfo, view?: readonly ServiceInstance[]): ServiceInstance | undefined {
    if (this.zone === '' || candidates.length === 0) return this.inner.pick(candidates, call, view);
    if (candidates !== this.candidatesRef) {
      this.localCandidates = this.filterLocal(candidates);
      this.candidatesRef = candidates;
    }
    const local = this.localCandidates;
    const localTotal = view === undefined ? local.length : this.countLocal(view);
    const stayLocal = local.length >= this.minHealthy && local.length >= this.minHealthyFraction * localTotal;
    if (stayLocal === this.spilling) this.switchMode(!stayLocal, local.length, localTotal);
    return this.inner.pick(stayLocal ? local : candidates, call, view);
  }

  /** Forwards to the inner balancer. */
  onStart(instance: ServiceInstance): void {
    this.inner.onStart?.(instance);
  }

  /** Forwards to the inner balancer. */
  onEnd(instance: ServiceInstance, outcome: CallOutcome): void {
    this.inner.onEnd?.(instance, outcome);
  }

  /** Drops cached subsets and shuts the inner balancer down. */
  shutdown(): void {
    this.candidatesRef = undefined;
    this.viewRef = undefined;
    this.localCandidates = [];
    this.inner.shutdown?.();
  }

  private filterLocal(candidates: readonly ServiceInstance[]): readonly ServiceInstance[] {
    let local = 0;
    for (const c of candidates) if (c.zone === this.zone) local++;
    if (local === candidates.length) return candidates;
    const out = new Array<ServiceInstance>(local);
    let k = 0;
    for (const c of candidates) if (c.zone === this.zone) out[k++] = c;
    return out;
  }

  private countLocal(view: readonly ServiceInstance[]): number {
    if (view !== this.viewRef) {
      let count = 0;
      for (const instance of view) if (instance.zone === this.zone) count++;
      this.localInView = count;
      this.viewRef = view;
    }
    return this.localInView;
  }

  private switchMode(spilling: boolean, localHealthy: number, localTotal: number): void {
    this.spilling = spilling;
    if (this.spillover.hasListeners) this.spillover.emit({ zone: this.zone, spilling, localHealthy, localTotal });
  }
}
