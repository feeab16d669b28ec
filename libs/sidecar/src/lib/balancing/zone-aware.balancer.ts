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
  /**
   * Load-aware spill-over: a healthy local zone is left too when its candidates are busier than
   * the others by this factor, i.e. when their mean number of calls in flight (from this caller)
   * exceeds `spillLoadFactor` x the mean of the other zones' candidates. Default 2; `Infinity`
   * turns load-aware spill-over off. At least 1.
   */
  readonly spillLoadFactor?: number;
  /**
   * ... and only once the local candidates average at least this many calls in flight: below it a
   * queue is short and a cross-zone hop costs more than it saves. Default 4.
   */
  readonly spillMinInFlight?: number;
}

/** Emitted when the balancer starts or stops spilling over to other zones. */
export interface SpilloverEvent {
  /** The caller's zone. */
  readonly zone: string;
  /** True when calls now go to all zones, false when back to the local zone only. */
  readonly spilling: boolean;
  /** Why calls spill over (when `spilling`): too few healthy local instances, or busier ones. */
  readonly reason?: 'unhealthy' | 'busy';
  /** Healthy local candidates at the time of the switch. */
  readonly localHealthy: number;
  /** Local instances in the view at the time of the switch. */
  readonly localTotal: number;
}

/**
 * Wraps another balancer and prefers candidates in the caller's zone while enough of them are
 * healthy (`minHealthy` and `minHealthyFraction` of the zone's instances in the view) and they
 * are not much busier than the rest (`spillLoadFactor`, `spillMinInFlight`: calls in flight from
 * this caller, counted in `onStart`/`onEnd`); otherwise it spills over and lets the inner balancer
 * choose among all candidates of every zone (a least-loaded inner balancer then sends the excess
 * where the load is lower). The local subset is computed once per candidates array (cached by
 * identity), so the common path allocates nothing.
 */
export class ZoneAwareBalancer implements Balancer {
  /** The caller's zone. */
  readonly zone: string;
  private readonly minHealthyFraction: number;
  private readonly minHealthy: number;
  private readonly spillLoadFactor: number;
  private readonly spillMinInFlight: number;
  /** Calls in flight per instance id (entries removed at 0). */
  private readonly inFlight = new Map<string, number>();
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
    this.spillLoadFactor = assertNumber('zoneAware.spillLoadFactor', options.spillLoadFactor ?? 2, 1);
    this.spillMinInFlight = assertNumber('zoneAware.spillMinInFlight', options.spillMinInFlight ?? 4, 0);
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
    const healthy = local.length >= this.minHealthy && local.length >= this.minHealthyFraction * localTotal;
    const busy = healthy && this.localBusier(candidates, local);
    const stayLocal = healthy && !busy;
    if (stayLocal === this.spilling) this.switchMode(!stayLocal, healthy ? 'busy' : 'unhealthy', local.length, localTotal);
    return this.inner.pick(stayLocal ? local : candidates, call, view);
  }

  /** Counts the call in flight, then forwards to the inner balancer. */
  onStart(instance: ServiceInstance): void {
    this.inFlight.set(instance.id, (this.inFlight.get(instance.id) ?? 0) + 1);
    this.inner.onStart?.(instance);
  }

  /** Counts the call done, then forwards to the inner balancer. */
  onEnd(instance: ServiceInstance, outcome: CallOutcome): void {
    const left = (this.inFlight.get(instance.id) ?? 0) - 1;
    if (left > 0) this.inFlight.set(instance.id, left);
    else this.inFlight.delete(instance.id);
    this.inner.onEnd?.(instance, outcome);
  }

  /** Calls in flight from this caller on instance `id`. */
  outstanding(id: string): number {
    return this.inFlight.get(id) ?? 0;
  }

  /** True when the local candidates average `spillMinInFlight`+ calls in flight and `spillLoadFactor` x the others' mean. */
  private localBusier(candidates: readonly ServiceInstance[], local: readonly ServiceInstance[]): boolean {
    if (local.length === candidates.length || this.spillLoadFactor === Infinity || this.inFlight.size === 0) return false;
    let localSum = 0;
    for (const c of local) localSum += this.inFlight.get(c.id) ?? 0;
    const localMean = localSum / local.length;
    if (localMean < this.spillMinInFlight || localMean === 0) return false;
    let otherSum = 0;
    for (const c of candidates) if (c.zone !== this.zone) otherSum += this.inFlight.get(c.id) ?? 0;
    return localMean > this.spillLoadFactor * (otherSum / (candidates.length - local.length));
  }

  /** Drops cached subsets and shuts the inner balancer down. */
  shutdown(): void {
    this.candidatesRef = undefined;
    this.viewRef = undefined;
    this.localCandidates = [];
    this.inFlight.clear();
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

  private switchMode(spilling: boolean, reason: 'unhealthy' | 'busy', localHealthy: number, localTotal: number): void {
    this.spilling = spilling;
    if (this.spillover.hasListeners) this.spillover.emit(spilling ? { zone: this.zone, spilling, reason, localHealthy, localTotal } : { zone: this.zone, spilling, localHealthy, localTotal });
  }
}
