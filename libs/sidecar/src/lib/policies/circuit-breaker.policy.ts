import type { EventEmitter as NodeEventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
import { EventEmitter, type Event } from '../core/event';
import type { CallInfo, IPolicy, PolicyContext, PolicyFn } from '../core/policy';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, assertObject, assertString, show } from '../core/validate';
import { BrokenCircuitError } from './broken-circuit.error';
import { isDeadlineExceededError } from './deadline-exceeded.error';
import { isServerFault } from './fault';
import { asPolicyContext, describeCall } from './policy-context';

/** State of a circuit breaker. */
export type CircuitState = 'closed' | 'open' | 'halfOpen';

/** Options of a CircuitBreakerPolicy. */
export interface CircuitBreakerOptions {
  /** Name used in errors, events and stats (e.g. the downstream service). Default `circuit`. */
  readonly name?: string;
  /** Error percentage (of calls in the rolling window) above which the circuit opens (1 … 100, default 50). */
  readonly errorThresholdPercentage?: number;
  /** Calls needed in the window before the circuit may open (integer ≥ 0, default 5). */
  readonly volumeThreshold?: number;
  /** How long the circuit stays open before letting one probe through, in ms (default 5000). */
  readonly resetTimeoutMs?: number;
  /** Length of the statistics window in ms (default 10000). */
  readonly rollingCountTimeoutMs?: number;
  /** Buckets in the statistics window (default 10; must divide rollingCountTimeoutMs). */
  readonly rollingCountBuckets?: number;
  /**
   * Which errors count as failures (default `isServerFault`: server-side faults only, plus any
   * error that arrives once the call's deadline has passed, e.g. a cancelled probe).
   * Errors that are not failures count as successes (opossum's `errorFilter`).
   */
  readonly isFailure?: (error: unknown) => boolean;
  /** Set when the breaker guards one instance: its rejections name the instance and are retryable elsewhere. */
  readonly instanceId?: string;
  /**
   * Consulted before the circuit opens from closed; returning false keeps it closed. Used by
   * InstanceBreakers to cap the share of ejected instances.
   */
  readonly canOpen?: () => boolean;
  /**
   * An emitter that emits `rotate` every `rollingCountTimeoutMs / rollingCountBuckets` ms, so many
   * breakers share one timer (opossum's `rotateBucketController`). Default: one unref'd timer per breaker.
   */
  readonly rotateBucketController?: NodeEventEmitter;
}

/** Payload of `onStateChange`. */
export interface CircuitStateChangeEvent {
  /** Breaker name. */
  readonly breaker: string;
  /** Previous state. */
  readonly from: CircuitState;
  /** New state. */
  readonly to: CircuitState;
}

/** Payload of `onReject`. */
export interface CircuitRejectEvent {
  /** Breaker name. */
  readonly breaker: string;
  /** The call that was rejected. */
  readonly call: CallInfo;
}

/** Payload of `onSuccess`. */
export interface CircuitSuccessEvent {
  /** Breaker name. */
  readonly breaker: string;
  /** Duration of the call in ms. */
  readonly latencyMs: number;
}

/** Payload of `onFailure`. */
export interface CircuitFailureEvent {
  /** Breaker name. */
  readonly breaker: string;
  /** The error that counted as a failure. */
  readonly error: unknown;
  /** Duration of the call in ms. */
  readonly latencyMs: number;
}

/** Statistics of the rolling window, as kept by opossum. */
export type CircuitStats = CircuitBreaker.Stats;

type Action = (fn: PolicyFn<unknown>, ctx: PolicyContext) => Promise<unknown>;

/** opossum's rolling-window counters (its `Status`), as its own 'fire' and 'success' listeners update them. */
interface Counters {
  increment(property: 'fires' | 'successes', latencyMs?: number): void;
}

/** Runs the protected function; always returns a promise (opossum needs one). */
const runAction: Action = (fn, ctx) => Promise.resolve(fn(ctx));

/** opossum's breaker with a veto on opening (for the ejection cap). */
class VetoableBreaker extends CircuitBreaker<[PolicyFn<unknown>, PolicyContext], unknown> {
  veto: (() => boolean) | undefined;

  override open(): void {
    if (this.closed && this.veto !== undefined && !this.veto()) return;
    super.open();
  }
}

/**
 * A circuit breaker built on opossum: counts failures in a rolling window and, past
 * `errorThresholdPercentage` (with at least `volumeThreshold` calls), opens and rejects calls
 * fast with `BrokenCircuitError` (code `BROKEN_CIRCUIT`, naming the breaker). After
 * `resetTimeoutMs` it lets exactly one probe through (half-open): a successful probe closes it, a
 * failed one opens it again. opossum's own timeout is disabled (deadlines do that), its snapshot
 * timer is off and its timers are unref'd; `shutdown()` stops them.
 */
export class CircuitBreakerPolicy implements IPolicy {
  /** Breaker name. */
  readonly name: string;
  /** Instance guarded, when per-instance. */
  readonly instanceId: string | undefined;
  /** Open duration before a probe, in ms. */
  readonly resetTimeoutMs: number;
  private readonly breaker: VetoableBreaker;
  private current: CircuitState = 'closed';
  private openedAt = 0;
  private readonly stateEmitter = new EventEmitter<CircuitStateChangeEvent>();
  private readonly rejectEmitter = new EventEmitter<CircuitRejectEvent>();
  private readonly successEmitter = new EventEmitter<CircuitSuccessEvent>();
  private readonly failureEmitter = new EventEmitter<CircuitFailureEvent>();
  private forwardingSuccess = false;
  private forwardingFailure = false;
  private readonly errorThresholdPercentage: number;
  private readonly errorFilter: (error: unknown, fn: unknown, ctx: PolicyContext) => boolean;

  /** Fires on every state transition. */
  readonly onStateChange: Event<CircuitStateChangeEvent> = this.stateEmitter.event;
  /** Fires when a call is rejected because the circuit is open (or its probe is in flight). */
  readonly onReject: Event<CircuitRejectEvent> = this.rejectEmitter.event;

  /** @throws InvalidOptionsError naming the bad option. */
  constructor(options: CircuitBreakerOptions = {}) {
    assertObject('circuitBreaker', options);
    this.name = options.name === undefined ? 'circuit' : assertString('circuitBreaker.name', options.name);
    const errorThresholdPercentage = assertNumber('circuitBreaker.errorThresholdPercentage', options.errorThresholdPercentage ?? 50, 1, 100);
    const volumeThreshold = assertNumber('circuitBreaker.volumeThreshold', options.volumeThreshold ?? 5, 0, 1_000_000, true);
    this.resetTimeoutMs = assertNumber('circuitBreaker.resetTimeoutMs', options.resetTimeoutMs ?? 5000, 1, 2_147_483_647, true);
    const rollingCountTimeout = assertNumber('circuitBreaker.rollingCountTimeoutMs', options.rollingCountTimeoutMs ?? 10_000, 10, 86_400_000, true);
    const rollingCountBuckets = assertNumber('circuitBreaker.rollingCountBuckets', options.rollingCountBuckets ?? 10, 1, 1000, true);
    if (rollingCountTimeout % rollingCountBuckets !== 0) {
      throw new InvalidOptionsError(
        `circuitBreaker.rollingCountTimeoutMs must be a multiple of circuitBreaker.rollingCountBuckets (${rollingCountBuckets}); got ${show(rollingCountTimeout)}`,
      );
    }
    if (options.isFailure !== undefined && typeof options.isFailure !== 'function') {
      throw new InvalidOptionsError(`circuitBreaker.isFailure must be a function (error) => boolean; got ${show(options.isFailure)}`);
    }
    if (options.instanceId !== undefined && (typeof options.instanceId !== 'string' || options.instanceId === '')) {
      throw new InvalidOptionsError(`circuitBreaker.instanceId must be a non-empty string; got ${show(options.instanceId)}`);
    }
    if (options.canOpen !== undefined && typeof options.canOpen !== 'function') {
      throw new InvalidOptionsError(`circuitBreaker.canOpen must be a function () => boolean; got ${show(options.canOpen)}`);
    }
    const rotate = options.rotateBucketController;
    if (rotate !== undefined && (typeof rotate !== 'object' || rotate === null || typeof rotate.on !== 'function')) {
      throw new InvalidOptionsError(`circuitBreaker.rotateBucketController must be an EventEmitter; got ${show(rotate)}`);
    }
    this.instanceId = options.instanceId;
    this.errorThresholdPercentage = errorThresholdPercentage;
    const isFailure = options.isFailure;
    const errorFilter =
      isFailure !== undefined
        ? (error: unknown): boolean => !isFailure(error)
        : (error: unknown, _fn?: unknown, ctx?: PolicyContext): boolean => !isDefaultFailure(error, ctx);

    this.breaker = new VetoableBreaker(runAction as (...args: [PolicyFn<unknown>, PolicyContext]) => Promise<unknown>, {
      name: this.name,
      timeout: false,
      errorThresholdPercentage,
      volumeThreshold,
      resetTimeout: this.resetTimeoutMs,
      rollingCountTimeout,
      rollingCountBuckets,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      rotateBucketController: rotate,
      errorFilter,
    });
    this.errorFilter = errorFilter;
    this.breaker.veto = options.canOpen;
    this.breaker.on('open', () => this.transition('open'));
    this.breaker.on('halfOpen', () => this.transition('halfOpen'));
    this.breaker.on('close', () => this.transition('closed'));
  }

  /** Fires after each call that counted as a success (listening has a small per-call cost). */
  readonly onSuccess: Event<CircuitSuccessEvent> = (listener) => {
    if (!this.forwardingSuccess) {
      this.forwardingSuccess = true;
      this.breaker.on('success', (_result: unknown, latencyMs: number) => {
        if (this.successEmitter.hasListeners) this.successEmitter.emit({ breaker: this.name, latencyMs });
      });
    }
    return this.successEmitter.event(listener);
  };

  /** Fires after each call that counted as a failure. */
  readonly onFailure: Event<CircuitFailureEvent> = (listener) => {
    if (!this.forwardingFailure) {
      this.forwardingFailure = true;
      this.breaker.on('failure', (error: unknown, latencyMs: number) => {
        if (this.failureEmitter.hasListeners) this.failureEmitter.emit({ breaker: this.name, error, latencyMs });
      });
    }
    return this.failureEmitter.event(listener);
  };

  /** Current state. */
  get state(): CircuitState {
    return this.current;
  }

  /** True when a call would be let through right now (closed, or half-open with the probe not yet taken). */
  get acceptsCalls(): boolean {
    return this.breaker.closed || this.breaker.pendingClose;
  }

  /** Time until a probe is let through, in ms (0 unless open). */
  get retryAfterMs(): number {
    return this.current === 'open' ? Math.max(0, this.openedAt + this.resetTimeoutMs - Date.now()) : 0;
  }

  /** True once `shutdown()` was called. */
  get isShutdown(): boolean {
    return this.breaker.isShutdown;
  }

  /** Rolling-window statistics kept by opossum (fires, successes, failures, rejects ...). */
  stats(): CircuitStats {
    return this.breaker.stats;
  }

  /** Runs `fn` through the breaker (see the class description). */
  execute<T>(fn: PolicyFn<T>, context?: Partial<PolicyContext> | AbortSignal): Promise<T> {
    const ctx = asPolicyContext(context);
    const breaker = this.breaker;
    if (breaker.closed && !breaker.pendingClose && !breaker.isShutdown && breaker.enabled) return this.runClosed(fn, ctx);
    if (breaker.closed || (breaker.pendingClose && !breaker.isShutdown)) return breaker.fire(fn as PolicyFn<unknown>, ctx) as Promise<T>;
    // Rejected: let opossum count the reject, then raise our own error.
    return breaker.fire(fn as PolicyFn<unknown>, ctx).then(undefined, (error: unknown) => {
      throw this.rejection(error, ctx);
    }) as Promise<T>;
  }

  /**
   * The closed-circuit path of opossum's `fire` (no cache, coalescing, timeout, capacity or
   * fallback are configured on this breaker), without its promise chain: the same bookkeeping in
   * the same order (a fire; then a success, or a failure and the opening check of opossum's
   * `fail`), so its rolling statistics and transitions are unchanged, but one promise hop instead
   * of three. The breaker is private and its only 'fire' / 'success' listeners are opossum's
   * counters and onSuccess's forwarder, so the happy path counts directly instead of emitting.
   */
  private runClosed<T>(fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    const status = (this.breaker as unknown as { status: Counters }).status;
    status.increment('fires');
    const started = Date.now();
    let result: PromiseLike<T> | T;
    try {
      result = fn(ctx);
    } catch (error) {
      return this.settleFailure(error, fn, ctx, started);
    }
    return Promise.resolve(result).then(
      (value) => {
        const latencyMs = Date.now() - started;
        if (!this.breaker.isShutdown) status.increment('successes', latencyMs);
        if (this.successEmitter.hasListeners) this.successEmitter.emit({ breaker: this.name, latencyMs });
        return value;
      },
      (error: unknown) => this.settleFailure(error, fn, ctx, started),
    );
  }

  /** opossum's `handleError` + `fail` for a call run by runClosed: count it, maybe open, reject with the error. */
  private settleFailure(error: unknown, fn: PolicyFn<unknown>, ctx: PolicyContext, started: number): Promise<never> {
    const breaker = this.breaker;
    const latency = Date.now() - started;
    if (this.errorFilter(error, fn, ctx)) {
      breaker.emit('success', error, latency);
    } else {
      breaker.emit('failure', error, latency, [fn, ctx]);
      if (!breaker.warmUp) {
        const stats = breaker.stats;
        if (stats.fires >= breaker.volumeThreshold || breaker.halfOpen) {
          if ((stats.failures / stats.fires) * 100 > this.errorThresholdPercentage || breaker.halfOpen) breaker.open();
        }
      }
    }
    return Promise.reject(error);
  }

  /** Forces the circuit open (e.g. from a health check; `canOpen` may veto); it half-opens after `resetTimeoutMs`. */
  open(): void {
    this.breaker.open();
  }

  /** Forces the circuit closed. */
  close(): void {
    this.breaker.close();
  }

  /** Stops opossum's timers and listeners; later calls are rejected with BrokenCircuitError. */
  shutdown(): void {
    if (this.breaker.isShutdown) return;
    this.breaker.shutdown();
  }

  private transition(to: CircuitState): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    if (to === 'open') this.openedAt = Date.now();
    if (this.stateEmitter.hasListeners) this.stateEmitter.emit({ breaker: this.name, from, to });
  }

  private rejection(error: unknown, ctx: PolicyContext): unknown {
    const code = (error as { code?: unknown } | null)?.code;
    if (!(error instanceof Error && CircuitBreaker.isOurError(error)) || (code !== 'EOPENBREAKER' && code !== 'ESHUTDOWN')) return error;
    if (this.rejectEmitter.hasListeners) this.rejectEmitter.emit({ breaker: this.name, call: ctx.call });
    const where = this.instanceId ? ` (instance ${this.instanceId})` : '';
    const why =
      code === 'ESHUTDOWN'
        ? 'the breaker is shut down'
        : this.current === 'open'
          ? `the circuit is open; a probe will be let through in ${this.retryAfterMs} ms`
          : 'the circuit is half-open and its single probe is in flight';
    return new BrokenCircuitError(
      `${describeCall(ctx.call)} rejected by circuit breaker "${this.name}"${where}: ${why}`,
      this.name,
      this.retryAfterMs,
      this.instanceId,
    );
  }
}

/**
 * Default failure test: a server-side fault, or any error (other than a refused deadline) that
 * arrives once the call's deadline has passed (a timed-out or cancelled attempt is a failure).
 */
function isDefaultFailure(error: unknown, ctx: PolicyContext | undefined): boolean {
  if (isServerFault(error)) return true;
  if (isDeadlineExceededError(error) && error.refused) return false;
  return ctx !== undefined && Date.now() >= ctx.deadline;
}
