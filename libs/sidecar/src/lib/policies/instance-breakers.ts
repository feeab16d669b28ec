import { EventEmitter as NodeEventEmitter } from 'node:events';
import { EventEmitter, type Event } from '../core/event';
import type { IPolicy, PolicyContext, PolicyFn } from '../core/policy';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, assertObject, assertString, show } from '../core/validate';
import { CircuitBreakerPolicy, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker.policy';
import { asPolicyContext } from './policy-context';

/** Options of InstanceBreakers: breaker options applied to every instance, plus the ejection cap. */
export interface InstanceBreakersOptions
  extends Omit<CircuitBreakerOptions, 'name' | 'instanceId' | 'canOpen' | 'rotateBucketController'> {
  /** Prefix of the breakers' names (`<name>/<instance id>`), e.g. the service name. Default `instance`. */
  readonly name?: string;
  /**
   * Most instances that may be ejected at once, as a percentage of the known instances
   * (0 … 100, default 50; rounded down, so a lone instance is never ejected). Beyond the cap a
   * failing instance's breaker stays closed: traffic keeps reaching it, the service-level view sees
   * the failures and the service breaker opens instead.
   */
  readonly maxEjectionPercent?: number;
}

/** Payload of `onEject` / `onRestore`. */
export interface InstanceEjectionEvent {
  /** The instance ejected or restored. */
  readonly instanceId: string;
}

/**
 * Outlier detection: one CircuitBreakerPolicy per instance (created lazily), so a failing instance
 * is ejected (its breaker opens) and restored after a successful half-open probe.
 *
 * Ejection is capped at `maxEjectionPercent` of the known instances (default 50%). Rationale: when
 * every instance fails, the problem is the service, not an outlier. With the cap, at least half the
 * instances stay in rotation, their failures reach the service breaker (outside the retries), which
 * opens and serves fallbacks; after recovery the service breaker's half-open probe reaches an
 * instance still in rotation and closes. Without a cap every instance would be ejected, calls would
 * fail with NO_HEALTHY_INSTANCE and recovery would wait on per-instance probes.
 *
 * As a policy (`execute`), it runs the call through the breaker of `ctx.call.instance` (set by the
 * balancing layer); a call with no instance chosen runs unprotected. Balancers skip instances for
 * which `isEjected(id)` is true. All breakers share one unref'd bucket-rotation timer.
 */
export class InstanceBreakers implements IPolicy {
  /** Breaker name prefix. */
  readonly name: string;
  /** Ejection cap in percent. */
  readonly maxEjectionPercent: number;
  private readonly breakerOptions: CircuitBreakerOptions;
  private readonly breakers = new Map<string, CircuitBreakerPolicy>();
  private knownInstances = 0;
  private readonly rotation = new NodeEventEmitter();
  private rotationTimer: ReturnType<typeof setInterval> | undefined;
  private readonly bucketMs: number;
  private readonly ejectEmitter = new EventEmitter<InstanceEjectionEvent>();
  private readonly restoreEmitter = new EventEmitter<InstanceEjectionEvent>();

  /** Fires when an instance's breaker opens (the instance leaves rotation). */
  readonly onEject: Event<InstanceEjectionEvent> = this.ejectEmitter.event;
  /** Fires when an ejected instance's breaker closes again (after a successful probe). */
  readonly onRestore: Event<InstanceEjectionEvent> = this.restoreEmitter.event;

  /** @throws InvalidOptionsError naming the bad option. */
  constructor(options: InstanceBreakersOptions = {}) {
    assertObject('instanceBreakers', options);
    const { name, maxEjectionPercent, ...breakerOptions } = options;
    this.name = name === undefined ? 'instance' : assertString('instanceBreakers.name', name);
    this.maxEjectionPercent = assertNumber('instanceBreakers.maxEjectionPercent', maxEjectionPercent ?? 50, 0, 100);
    for (const key of ['instanceId', 'canOpen', 'rotateBucketController'] as const) {
      if ((options as Record<string, unknown>)[key] !== undefined) {
        throw new InvalidOptionsError(`instanceBreakers.${key} is set per instance by InstanceBreakers; got ${show((options as Record<string, unknown>)[key])}`);
      }
    }
    this.rotation.setMaxListeners(0);
    this.breakerOptions = { ...breakerOptions, rotateBucketController: this.rotation };
    // Validate once, up front (names in messages use the instanceBreakers prefix).
    try {
      new CircuitBreakerPolicy({ ...this.breakerOptions, name: this.name }).shutdown();
    } catch (error) {
      if (error instanceof InvalidOptionsError) throw new InvalidOptionsError(error.message.replace(/circuitBreaker\./g, 'instanceBreakers.'));
      throw error;
    }
    this.bucketMs = (breakerOptions.rollingCountTimeoutMs ?? 10_000) / (breakerOptions.rollingCountBuckets ?? 10);
  }

  /** The breaker of instance `id`, created on first use. */
  policyFor(id: string): CircuitBreakerPolicy {
    let breaker = this.breakers.get(id);
    if (breaker === undefined) {
      breaker = this.create(id);
      this.breakers.set(id, breaker);
    }
    return breaker;
  }

  /** True when instance `id` must not receive calls: its breaker is open and not ready for a probe. */
  isEjected(id: string): boolean {
    const breaker = this.breakers.get(id);
    return breaker !== undefined && !breaker.acceptsCalls;
  }

  /** Number of instances currently ejected (breaker not closed). */
  get ejectedCount(): number {
    let count = 0;
    for (const breaker of this.breakers.values()) if (breaker.state !== 'closed') count++;
    return count;
  }

  /** Most instances that may be ejected at once, given the instances known now. */
  get maxEjected(): number {
    return Math.floor((Math.max(this.knownInstances, this.breakers.size) * this.maxEjectionPercent) / 100);
  }

  /**
   * Keeps the breakers of `ids` (the instances discovery currently knows) and drops the others;
   * the number of ids is the base of the ejection cap.
   */
  retain(ids: Iterable<string>): void {
    const keep = new Set(ids);
    for (const [id, breaker] of this.breakers) {
      if (!keep.has(id)) {
        breaker.shutdown();
        this.breakers.delete(id);
      }
    }
    this.knownInstances = keep.size;
  }

  /** State of the breaker of instance `id` (`closed` when it has none yet). */
  stateOf(id: string): CircuitState {
    return this.breakers.get(id)?.state ?? 'closed';
  }

  /** State of every instance breaker, by instance id (for the live snapshot). */
  states(): Record<string, CircuitState> {
    const out: Record<string, CircuitState> = {};
    for (const [id, breaker] of this.breakers) out[id] = breaker.state;
    return out;
  }

  /** Runs `fn` through the breaker of the instance chosen for this attempt (`ctx.call.instance`). */
  execute<T>(fn: PolicyFn<T>, context?: Partial<PolicyContext> | AbortSignal): Promise<T> {
    const ctx = asPolicyContext(context);
    const instance = ctx.call.instance;
    if (instance === undefined) {
      try {
        return Promise.resolve(fn(ctx));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.policyFor(instance.id).execute(fn, ctx);
  }

  /** Shuts every breaker down and stops the shared rotation timer. */
  shutdown(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
    this.breakers.clear();
    if (this.rotationTimer !== undefined) clearInterval(this.rotationTimer);
    this.rotationTimer = undefined;
  }

  private create(id: string): CircuitBreakerPolicy {
    if (this.rotationTimer === undefined) {
      this.rotationTimer = setInterval(() => this.rotation.emit('rotate'), this.bucketMs);
      this.rotationTimer.unref?.();
    }
    const breaker = new CircuitBreakerPolicy({
      ...this.breakerOptions,
      name: `${this.name}/${id}`,
      instanceId: id,
      canOpen: () => this.ejectedCount < this.maxEjected,
    });
    breaker.onStateChange(({ from, to }) => {
      if (from === 'closed' && to === 'open') {
        if (this.ejectEmitter.hasListeners) this.ejectEmitter.emit({ instanceId: id });
      } else if (to === 'closed') {
        if (this.restoreEmitter.hasListeners) this.restoreEmitter.emit({ instanceId: id });
      }
    });
    return breaker;
  }
}
