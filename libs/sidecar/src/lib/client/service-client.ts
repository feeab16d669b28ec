import * as grpc from '@grpc/grpc-js';
import { currentCallScope } from '../core/call-scope';
import type { ServiceInstance } from '../core/instance';
import { MetadataKeys } from '../core/metadata-keys';
import { wrap, type CallInfo, type IPolicy, type PolicyContext } from '../core/policy';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, assertObject, assertString, show } from '../core/validate';
import type { Disposable } from '../core/event';
import { createBalancer, type Balancer, type CreateBalancerOptions } from '../balancing/create-balancer';
import { LoadTracker } from '../balancing/balancer';
import { selectCandidates } from '../balancing/select-candidates';
import type { Resolver } from '../discovery/resolver';
import { BulkheadPolicy } from '../policies/bulkhead.policy';
import { CircuitBreakerPolicy, type CircuitBreakerOptions } from '../policies/circuit-breaker.policy';
import { DeadlinePolicy } from '../policies/deadline.policy';
import { isDegradation, isRetryableError, isServerFault } from '../policies/fault';
import { GrpcStatus } from '../policies/grpc-status';
import { InstanceBreakers } from '../policies/instance-breakers';
import { RetryBudget } from '../policies/retry-budget';
import { RetryPolicy } from '../policies/retry.policy';
import { RollingWindow } from '../policies/rolling-window';
import { authMetadata, createChannelCredentials, type AuthOptions } from '../auth/index';
import type { Logger } from '../telemetry/logger';
import type { SidecarMetrics } from '../telemetry/metrics';
import { childSpan, formatTraceparent } from '../telemetry/trace-context';
import { ChannelPool } from './channel-pool';
import { NoHealthyInstanceError } from './no-healthy-instance.error';

/** Retry settings of a client (`false` disables retries). */
export interface ClientRetryOptions {
  /** Attempts in all, first one included (default 3). */
  readonly maxAttempts?: number;
  /** First backoff delay in ms before jitter (default 25). */
  readonly initialDelayMs?: number;
  /** Backoff cap in ms (default 250). */
  readonly maxDelayMs?: number;
  /** Retries allowed as a fraction of live traffic (retry budget, default 0.2). */
  readonly budgetRatio?: number;
  /** Retries always allowed per second regardless of traffic (default 10). */
  readonly minRetriesPerSecond?: number;
}

/** Concurrency limit of a client towards its downstream (`false` disables it). */
export interface ClientBulkheadOptions {
  /** Calls in flight at most (default 512). */
  readonly maxConcurrent?: number;
  /** Calls waiting for a slot at most (default 0: overflow fails fast). */
  readonly maxQueue?: number;
}

/** Options of a ServiceClient (one per downstream service). */
export interface ServiceClientOptions {
  /** Logical name of the downstream service, e.g. `likes`. */
  readonly service: string;
  /** The gRPC service definition (from @grpc/proto-loader or generated code). */
  readonly definition: grpc.ServiceDefinition;
  /** Where the downstream's instances come from (redis registry, dns, static). */
  readonly resolver: Resolver;
  /** Who is calling: sent as identity metadata; `zone` enables zone-aware balancing. */
  readonly caller: { readonly service: string; readonly instance: string; readonly zone?: string };
  /** Identity of internal calls: shared token, or mTLS certificates. */
  readonly auth: AuthOptions;
  /** Balancing algorithm (default p2c least-outstanding, zone-aware when `caller.zone` is set). */
  readonly balancer?: CreateBalancerOptions | Balancer;
  /** Deadline of a call in ms when the caller gives none (default 2000); capped by an incoming call's deadline. */
  readonly timeoutMs?: number;
  /** Deadline of one attempt in ms (default: `timeoutMs`); shorter lets a retry escape a hung instance. */
  readonly attemptTimeoutMs?: number;
  /** Methods that are safe to run twice (retried without an idempotency key); `'*'` for all. */
  readonly idempotentMethods?: readonly string[] | '*';
  /** Retry settings, or `false` for none. */
  readonly retry?: ClientRetryOptions | false;
  /** Concurrency limit towards the downstream, or `false` for none. */
  readonly bulkhead?: ClientBulkheadOptions | false;
  /** Breaker over the whole service (fast fallbacks), or `false` for none. */
  readonly serviceBreaker?: Partial<CircuitBreakerOptions> | false;
  /** Breaker per instance (outlier ejection). */
  readonly instanceBreaker?: Partial<CircuitBreakerOptions>;
  /** Metrics sink (calls, latency, retries, budget, breaker states, ejections). */
  readonly metrics?: SidecarMetrics;
  /** Logger for state changes (ejections, breaker transitions). */
  readonly logger?: Logger;
  /** Extra gRPC channel options. */
  readonly channelOptions?: grpc.ChannelOptions;
}

/** Options of one call. */
export interface CallOptions<T> {
  /** Deadline of this call in ms (default: the client's `timeoutMs`); capped by an incoming call's deadline. */
  readonly timeoutMs?: number;
  /** Idempotency key: makes a non-idempotent call retryable (the server dedupes by it). */
  readonly idempotencyKey?: string;
  /** Overrides whether this call is idempotent. */
  readonly idempotent?: boolean;
  /** Degraded answer served when the downstream fails or a policy refuses the call. */
  readonly fallback?: (error: unknown) => T | Promise<T>;
  /** Cancels the call (default: the incoming call's signal when serving a call). */
  readonly signal?: AbortSignal;
  /** Extra metadata sent with the call. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** What the live snapshot shows of one instance of a downstream. */
export interface InstanceSnapshot {
  readonly id: string;
  readonly address: string;
  readonly zone: string;
  /** Per-instance breaker state (`closed`, `open`, `halfOpen`). */
  readonly breaker: string;
  /** True while outlier detection keeps the instance out of rotation. */
  readonly ejected: boolean;
  /** Requests in flight from this client. */
  readonly outstanding: number;
  /** Peak-EWMA latency estimate in ms. */
  readonly latencyMs: number;
}

/** What the live snapshot shows of one downstream service. */
export interface DownstreamSnapshot {
  readonly service: string;
  /** True while discovery is unreachable and the last view is used (fail-static). */
  readonly discoveryStale: boolean;
  /** Service breaker state, or `none` when disabled. */
  readonly breaker: string;
  /** Retries left in the budget right now (Infinity when retries are off). */
  readonly retryBudgetRemaining: number;
  /** Rates over the rolling window, per second. */
  readonly rates: { readonly requests: number; readonly successes: number; readonly failures: number; readonly fallbacks: number; readonly retries: number };
  readonly instances: readonly InstanceSnapshot[];
}

const DEFAULT_TIMEOUT_MS = 2000;

/** A callable for one method of a typed client. */
export type UnaryMethod<Req, Res> = (request: Req, options?: CallOptions<Res>) => Promise<Res>;

/** A typed client: one promise-returning function per method (`{ Like: [LikeRequest, LikeResponse] }`). */
export type TypedClient<M extends Record<string, [unknown, unknown]>> = { readonly [K in keyof M]: UnaryMethod<M[K][0], M[K][1]> };

/**
 * A resilient client for one downstream gRPC service. Every call runs, outermost first:
 * fallback (per call) → service breaker → deadline → retry (budgeted, another instance) →
 * bulkhead → balancer pick (discovery view, ejected and tried instances excluded) →
 * instance breaker (outlier ejection) → the gRPC call with the remaining deadline, identity,
 * trace context and idempotency key in its metadata.
 */
export class ServiceClient {
  /** Downstream service name. */
  readonly service: string;
  private readonly definition: grpc.ServiceDefinition;
  private readonly resolver: Resolver;
  private readonly balancer: Balancer;
  private readonly tracker: LoadTracker;
  private readonly trackLoad: boolean;
  private readonly pool: ChannelPool;
  private readonly baseMetadata: grpc.Metadata;
  private readonly timeoutMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly idempotent: (method: string) => boolean;
  private readonly stack: IPolicy;
  private readonly serviceBreaker?: CircuitBreakerPolicy;
  private readonly instanceBreakers: InstanceBreakers;
  private readonly budget?: RetryBudget;
  private readonly retryPolicy?: RetryPolicy;
  private readonly window = new RollingWindow();
  private readonly metrics?: SidecarMetrics;
  private readonly logger?: Logger;
  private readonly subscriptions: Disposable[] = [];
  private readonly isEjected: (id: string) => boolean;
  private closed = false;

  /** @throws InvalidOptionsError naming the bad option and value. */
  constructor(options: ServiceClientOptions) {
    assertObject('client options', options);
    this.service = assertString('client.service', options.service);
    if (typeof options.definition !== 'object' || options.definition === null || Object.keys(options.definition).length === 0) {
      throw new InvalidOptionsError(`client.definition must be a gRPC service definition with methods; got ${show(options.definition)}`);
    }
    if (typeof options.resolver?.instances !== 'function') {
      throw new InvalidOptionsError(`client.resolver must be a Resolver (with instances()); got ${show(options.resolver)}`);
    }
    assertObject('client.caller', options.caller);
    assertString('client.caller.service', options.caller.service);
    assertString('client.caller.instance', options.caller.instance);
    this.definition = options.definition;
    this.resolver = options.resolver;
    this.timeoutMs = assertNumber('client.timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1, 600_000);
    this.attemptTimeoutMs = assertNumber('client.attemptTimeoutMs', options.attemptTimeoutMs ?? this.timeoutMs, 1, 600_000);
    this.idempotent = idempotencyOf(options.idempotentMethods ?? []);
    this.metrics = options.metrics;
    this.logger = options.logger;

    this.tracker = new LoadTracker();
    const balancerOptions = options.balancer ?? {};
    // built-in balancers feed the shared tracker; a user-supplied one does not, so the client does
    this.trackLoad = 'pick' in balancerOptions;
    this.balancer = createBalancer(this.trackLoad ? balancerOptions : { zone: options.caller.zone ?? '', tracker: this.tracker, ...balancerOptions });
    this.pool = new ChannelPool(createChannelCredentials(options.auth), options.channelOptions);
    this.baseMetadata = authMetadata(options.auth, options.caller.service, options.caller.instance);

    this.instanceBreakers = new InstanceBreakers({ name: `${this.service}/instance`, ...options.instanceBreaker });
    this.isEjected = (id) => this.instanceBreakers.isEjected(id);
    this.subscriptions.push(
      this.instanceBreakers.onEject(({ instanceId }) => {
        this.metrics?.ejection(this.service, instanceId);
        this.metrics?.breakerState(this.service, instanceId, 'open');
        this.logger?.warn('instance ejected', { downstream: this.service, instanceId });
      }),
      this.instanceBreakers.onRestore(({ instanceId }) => {
        this.metrics?.breakerState(this.service, instanceId, 'closed');
        this.logger?.info('instance restored', { downstream: this.service, instanceId });
      }),
    );

    const layers: IPolicy[] = [];
    if (options.serviceBreaker !== false) {
      this.serviceBreaker = new CircuitBreakerPolicy({ name: this.service, ...options.serviceBreaker });
      this.subscriptions.push(
        this.serviceBreaker.onStateChange(({ to }) => {
          this.metrics?.breakerState(this.service, '*', to);
          this.logger?.warn('service breaker changed state', { downstream: this.service, state: to });
        }),
      );
      layers.push(this.serviceBreaker);
    }
    layers.push(new DeadlinePolicy({ timeoutMs: this.timeoutMs, inherit: true }));
    if (options.retry !== false) {
      const retry = options.retry ?? {};
      assertObject('client.retry', retry);
      this.budget = new RetryBudget({ ratio: retry.budgetRatio ?? 0.2, minRetriesPerSecond: retry.minRetriesPerSecond ?? 10 });
      const policy = new RetryPolicy({
        maxAttempts: retry.maxAttempts ?? 3,
        backoff: { initialDelayMs: retry.initialDelayMs ?? 25, maxDelayMs: retry.maxDelayMs ?? 250 },
        budget: this.budget,
        isRetryable: (error) => isRetryableError(error) || (error as { attemptTimedOut?: boolean }).attemptTimedOut === true,
      });
      this.retryPolicy = policy;
      this.subscriptions.push(
        policy.onRetry(() => {
          this.window.record('retry');
          this.metrics?.clientRetry(this.service);
        }),
      );
      layers.push(policy);
    }
    if (options.bulkhead !== false) {
      const bulkhead = options.bulkhead ?? {};
      assertObject('client.bulkhead', bulkhead);
      layers.push(new BulkheadPolicy({ maxConcurrent: bulkhead.maxConcurrent ?? 512, maxQueue: bulkhead.maxQueue ?? 0 }));
    }
    this.stack = wrap(...layers);

    const onView = (view: readonly ServiceInstance[]) => {
      this.pool.retain(view);
      this.tracker.retain(view);
      this.instanceBreakers.retain(view.map((i) => i.id));
    };
    this.subscriptions.push(this.resolver.onChange(onView));
    onView(this.resolver.instances());
  }

  /** Fires when a call is retried (no-op subscription when retries are off). */
  get onRetry(): RetryPolicy['onRetry'] {
    return this.retryPolicy?.onRetry ?? (() => ({ dispose: () => undefined }));
  }

  /** Fires when a failed call is not retried further, with the reason (max attempts, budget, deadline ...). */
  get onGiveUp(): RetryPolicy['onGiveUp'] {
    return this.retryPolicy?.onGiveUp ?? (() => ({ dispose: () => undefined }));
  }

  /** The method names of the service definition. */
  get methods(): string[] {
    return Object.keys(this.definition);
  }

  /**
   * Calls `method` with `request` through the whole policy stack.
   * @throws the downstream's gRPC error, or a SidecarError (BROKEN_CIRCUIT, NO_HEALTHY_INSTANCE,
   *   DEADLINE_EXCEEDED, BULKHEAD_REJECTED ...) unless `options.fallback` serves degraded data.
   */
  async call<Req, Res>(method: string, request: Req, options: CallOptions<Res> = {}): Promise<Res> {
    const definition = this.definition[method];
    if (definition === undefined) {
      throw new InvalidOptionsError(`${this.service} has no method ${show(method)}; it has ${this.methods.join(', ')}`);
    }
    if (this.closed) throw new InvalidOptionsError(`client for ${this.service} is shut down`);
    const call: CallInfo = {
      service: this.service,
      method,
      idempotent: options.idempotent ?? this.idempotent(method),
      idempotencyKey: options.idempotencyKey,
      tried: [],
    };
    const scope = currentCallScope();
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const context: Partial<PolicyContext> = {
      call,
      signal: options.signal ?? scope?.signal,
      deadline: Date.now() + timeoutMs,
    };
    this.window.recordRequest();
    const started = performance.now();
    try {
      const response = (await this.stack.execute((ctx) => this.attempt(definition, request, ctx, options, context.signal), context)) as Res;
      const ms = performance.now() - started;
      this.window.recordSuccess(ms);
      this.metrics?.clientCall(this.service, method, 'OK', ms / 1000);
      return response;
    } catch (error) {
      const seconds = (performance.now() - started) / 1000;
      this.window.record('failure', seconds * 1000);
      this.metrics?.clientCall(this.service, method, codeName(error), seconds);
      if (options.fallback !== undefined && isDegradation(error)) {
        this.window.record('fallback');
        return options.fallback(error);
      }
      throw error;
    }
  }

  /** A function calling `method` (handy for typed wrappers). */
  method<Req, Res>(method: string): UnaryMethod<Req, Res> {
    if (this.definition[method] === undefined) {
      throw new InvalidOptionsError(`${this.service} has no method ${show(method)}; it has ${this.methods.join(', ')}`);
    }
    return (request, options) => this.call<Req, Res>(method, request, options);
  }

  /** A typed client with one function per method of the definition. */
  typed<M extends Record<string, [unknown, unknown]>>(): TypedClient<M> {
    const out: Record<string, UnaryMethod<unknown, unknown>> = {};
    for (const name of this.methods) out[name] = this.method(name);
    return out as TypedClient<M>;
  }

  /** Live view of this downstream for consoles and `/snapshot`. */
  snapshot(): DownstreamSnapshot {
    const view = this.resolver.instances();
    const rates = this.window.rates();
    const now = this.tracker.clock();
    return {
      service: this.service,
      discoveryStale: this.resolver.stale,
      breaker: this.serviceBreaker?.state ?? 'none',
      retryBudgetRemaining: this.budget?.remaining ?? Infinity,
      rates,
      instances: view.map((instance) => ({
        id: instance.id,
        address: instance.address,
        zone: instance.zone,
        breaker: this.instanceBreakers.stateOf(instance.id),
        ejected: this.instanceBreakers.isEjected(instance.id),
        outstanding: this.tracker.outstanding(instance.id),
        latencyMs: Math.round(this.tracker.latencyMs(instance.id, now) * 100) / 100,
      })),
    };
  }

  /** Closes channels, breakers and subscriptions (the resolver belongs to whoever created it). */
  shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
    this.serviceBreaker?.shutdown();
    this.instanceBreakers.shutdown();
    this.budget?.shutdown();
    this.balancer.shutdown?.();
    this.pool.shutdown();
  }

  /** One attempt: pick an instance and call it under its breaker. */
  private attempt(
    definition: grpc.MethodDefinition<unknown, unknown>,
    request: unknown,
    ctx: PolicyContext,
    options: CallOptions<unknown>,
    cancel: AbortSignal | undefined,
  ): Promise<unknown> {
    const view = this.resolver.instances();
    const candidates = selectCandidates(view, this.isEjected, ctx.call.tried);
    const instance = candidates.length === 0 ? undefined : this.balancer.pick(candidates, ctx.call, view);
    if (instance === undefined) throw new NoHealthyInstanceError(this.service, view.length);
    ctx.call.tried.push(instance.id);
    ctx.call.instance = instance;
    return this.instanceBreakers.policyFor(instance.id).execute((inner) => this.invoke(instance, definition, request, inner, options, cancel), ctx);
  }

  /** The raw gRPC call to one instance. */
  private invoke(
    instance: ServiceInstance,
    definition: grpc.MethodDefinition<unknown, unknown>,
    request: unknown,
    ctx: PolicyContext,
    options: CallOptions<unknown>,
    cancel: AbortSignal | undefined,
  ): Promise<unknown> {
    // The gRPC deadline bounds the attempt, so only the caller's own signal is watched here
    // (reading ctx.signal would materialise the deadline policy's lazy AbortController).
    return new Promise((resolve, reject) => {
      const client = this.pool.get(instance);
      const attemptDeadline = Math.min(ctx.deadline, Date.now() + this.attemptTimeoutMs);
      const metadata = this.baseMetadata.clone();
      // Propagate the trace of the call being served; a call outside any trace sends none and the
      // server starts the trace (a fresh random header per call defeats HPACK and costs ~20 µs on the wire).
      const parent = currentCallScope()?.trace;
      if (parent !== undefined) metadata.set(MetadataKeys.traceparent, formatTraceparent(childSpan(parent)));
      if (ctx.attempt > 0) metadata.set(MetadataKeys.attempt, String(ctx.attempt));
      if (attemptDeadline !== Infinity) metadata.set(MetadataKeys.deadline, String(Math.ceil(attemptDeadline)));
      if (ctx.call.idempotencyKey !== undefined) metadata.set(MetadataKeys.idempotencyKey, ctx.call.idempotencyKey);
      if (options.metadata !== undefined) for (const [key, value] of Object.entries(options.metadata)) metadata.set(key, value);
      const started = performance.now();
      this.balancer.onStart?.(instance);
      if (this.trackLoad) this.tracker.start(instance.id);
      let onAbort: (() => void) | undefined;
      // grpc-js captures a caller stack per call (`new Error()`); under the policy layers that stack
      // is deep and the capture is the largest single cost of a call. Errors are tagged with the
      // instance instead, so the capture is switched off for this call only.
      const stackTraceLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      let grpcCall: grpc.ClientUnaryCall;
      try {
        grpcCall = client.makeUnaryRequest(
          definition.path,
          definition.requestSerialize,
          definition.responseDeserialize,
          request,
          metadata,
          attemptDeadline === Infinity ? {} : { deadline: attemptDeadline },
          (error, response) => {
            if (onAbort !== undefined) cancel?.removeEventListener('abort', onAbort);
            const latencyMs = performance.now() - started;
            const ok = error === null || !isServerFault(error);
            this.balancer.onEnd?.(instance, { ok, latencyMs });
            if (this.trackLoad) this.tracker.end(instance.id, ok, latencyMs);
            if (error) {
              const tagged = error as grpc.ServiceError & { instanceId?: string; attemptTimedOut?: boolean };
              tagged.instanceId = instance.id;
              if (error.code === GrpcStatus.DEADLINE_EXCEEDED && attemptDeadline < ctx.deadline - 1) tagged.attemptTimedOut = true;
              reject(tagged);
            } else {
              resolve(response);
            }
          },
        );
      } finally {
        Error.stackTraceLimit = stackTraceLimit;
      }
      if (cancel !== undefined) {
        if (cancel.aborted) {
          grpcCall.cancel();
        } else {
          onAbort = () => grpcCall.cancel();
          cancel.addEventListener('abort', onAbort, { once: true });
        }
      }
    });
  }
}

function idempotencyOf(methods: readonly string[] | '*'): (method: string) => boolean {
  if (methods === '*') return () => true;
  if (!Array.isArray(methods) || methods.some((m) => typeof m !== 'string')) {
    throw new InvalidOptionsError(`client.idempotentMethods must be '*' or an array of method names; got ${show(methods)}`);
  }
  const set = new Set(methods);
  return (method) => set.has(method);
}

const statusNames = Object.fromEntries(Object.entries(GrpcStatus).map(([name, code]) => [code, name])) as Record<number, string>;

/** A stable label for an error: the gRPC status name, the sidecar code, or `ERROR`. */
function codeName(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'number') return statusNames[code] ?? String(code);
  if (typeof code === 'string') return code;
  return 'ERROR';
}
