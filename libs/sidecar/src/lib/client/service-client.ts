import * as grpc from '@grpc/grpc-js';
import { currentCallScope } from '../core/call-scope';
import type { ServiceInstance } from '../core/instance';
import { MetadataKeys } from '../core/metadata-keys';
import { wrap, type CallInfo, type IPolicy, type PolicyContext } from '../core/policy';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, assertObject, assertString, show } from '../core/validate';
import type { Disposable } from '../core/event';
import { createBalancer, type Balancer } from '../balancing/create-balancer';
import { LoadTracker } from '../balancing/balancer';
import { selectCandidates } from '../balancing/select-candidates';
import type { Resolver } from '../discovery/resolver';
import { BulkheadPolicy } from '../policies/bulkhead.policy';
import { CircuitBreakerPolicy } from '../policies/circuit-breaker.policy';
import { DeadlinePolicy } from '../policies/deadline.policy';
import { isDegradation, isRetryableError, isServerFault } from '../policies/fault';
import { GrpcStatus } from '../policies/grpc-status';
import { InstanceBreakers } from '../policies/instance-breakers';
import { RetryBudget } from '../policies/retry-budget';
import { RetryPolicy } from '../policies/retry.policy';
import { RollingWindow } from '../policies/rolling-window';
import { authChannelOptions, authMetadata, createChannelCredentials } from '../auth/index';
import type { Logger } from '../telemetry/logger';
import type { SidecarMetrics } from '../telemetry/metrics';
import { childSpan, formatTraceparent } from '../telemetry/trace-context';
import { startCallTrace, type CallTrace } from '../telemetry/otel/client-call.trace';
import type { TraceContext } from '../core/call-scope';
import { ChannelPool } from './channel-pool';
import { NoHealthyInstanceError } from './no-healthy-instance.error';
import { codeName, idempotencyOf } from './call-labels';
import { startUnaryCall } from './unary-call';
import { openServerStream, type OpenedServerStream } from './open-server-stream';
import type { CallOptions, DownstreamSnapshot, ServiceClientOptions, StreamOptions, TypedClient, UnaryMethod } from './service-client.types';

export type {
  CallOptions,
  ClientBulkheadOptions,
  ClientRetryOptions,
  DownstreamSnapshot,
  InstanceSnapshot,
  ServiceClientOptions,
  StreamOptions,
  TypedClient,
  UnaryMethod,
} from './service-client.types';

const DEFAULT_TIMEOUT_MS = 2000;

/**
 * A resilient client for one downstream gRPC service. Every call runs, outermost first:
 * service breaker → deadline → retry (budgeted, another instance) → bulkhead → balancer pick
 * (discovery view, ejected and tried instances excluded) → instance breaker (outlier ejection) →
 * the gRPC call with the remaining deadline, identity, trace context and idempotency key in its
 * metadata. A call's `fallback` option is applied around all of it (as a FallbackPolicy would be,
 * without building one per call): it answers degradations only (see `isDegradation`).
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
  /** Set once, while the layers are built. */
  private serviceBreaker?: CircuitBreakerPolicy;
  private readonly instanceBreakers: InstanceBreakers;
  private budget?: RetryBudget;
  private retryPolicy?: RetryPolicy;
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
    // the TLS name override (tls.serverName: instances dialled by IP, certificates naming a shared name) first; explicit options win
    this.pool = new ChannelPool(createChannelCredentials(options.auth), { ...authChannelOptions(options.auth), ...options.channelOptions });
    this.baseMetadata = authMetadata(options.auth, options.caller.service, options.caller.instance);

    this.instanceBreakers = new InstanceBreakers({ name: `${this.service}/instance`, ...options.instanceBreaker });
    this.isEjected = (id) => this.instanceBreakers.isEjected(id);
    this.watchInstanceBreakers();
    this.stack = wrap(...this.buildLayers(options));

    const onView = (view: readonly ServiceInstance[]) => {
      this.pool.retain(view);
      this.tracker.retain(view);
      this.instanceBreakers.retain(view.map((i) => i.id));
      for (const instance of view) this.metrics?.breakerState(this.service, instance.id, this.instanceBreakers.stateOf(instance.id));
    };
    this.subscriptions.push(this.resolver.onChange(onView));
    onView(this.resolver.instances());
  }

  /** Ejections and restorations of instances: metrics and logs. */
  private watchInstanceBreakers(): void {
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
  }

  /** The policy layers of every call, outermost first: service breaker, deadline, retry, bulkhead. */
  private buildLayers(options: ServiceClientOptions): IPolicy[] {
    const layers: IPolicy[] = [];
    if (options.serviceBreaker !== false) {
      this.serviceBreaker = new CircuitBreakerPolicy({ name: this.service, ...options.serviceBreaker });
      this.subscriptions.push(
        this.serviceBreaker.onStateChange(({ to }) => {
          this.metrics?.breakerState(this.service, '*', to);
          this.logger?.warn('service breaker changed state', { downstream: this.service, state: to });
        }),
      );
      this.metrics?.breakerState(this.service, '*', this.serviceBreaker.state);
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
      const budget = this.budget;
      this.metrics?.watchRetryBudget(this.service, () => budget.remaining);
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
    return layers;
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
  get methods(): string[] { return Object.keys(this.definition); }

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
    const span = startCallTrace(this.service, method, scope?.trace, this.serviceBreaker?.state ?? 'none');
    try {
      const response = (await this.stack.execute(
        (ctx) => this.attempt(definition, ctx, span, (instance, inner, attemptTrace) => this.invoke(instance, definition, request, inner, options, context.signal, attemptTrace)),
        context,
      )) as Res;
      const ms = performance.now() - started;
      this.window.recordSuccess(ms);
      this.metrics?.clientCall(this.service, method, 'OK', ms / 1000);
      span.end('OK', undefined, false, this.serviceBreaker?.state ?? 'none');
      return response;
    } catch (error) {
      const seconds = (performance.now() - started) / 1000;
      this.window.record('failure', seconds * 1000);
      this.metrics?.clientCall(this.service, method, codeName(error), seconds);
      const fallback = options.fallback !== undefined && isDegradation(error);
      span.end(codeName(error), error, fallback, this.serviceBreaker?.state ?? 'none');
      if (fallback) {
        this.window.record('fallback');
        this.metrics?.clientFallback(this.service, method);
        return (options.fallback as NonNullable<typeof options.fallback>)(error);
      }
      throw error;
    }
  }

  /**
   * Opens the server-streaming `method`; resolves once its first message arrived. Opening runs
   * through the policy stack like call() (breakers, retry on another instance, bulkhead), the
   * first message must come within `attemptTimeoutMs`; once one was received nothing is retried
   * and the bulkhead slot is back (the balancer counts the stream until it ends). `timeoutMs` bounds
   * the whole stream; `signal`, or leaving a `for await` over `rest` early, cancels it. Outcome and
   * latency are recorded when it ends (see docs in open-server-stream.ts). @throws like call(), before the first message.
   */
  async stream<Req, Res>(method: string, request: Req, options: StreamOptions = {}): Promise<OpenedServerStream<Res>> {
    const definition = this.definition[method];
    if (definition === undefined) throw new InvalidOptionsError(`${this.service} has no method ${show(method)}; it has ${this.methods.join(', ')}`);
    if (!definition.responseStream || definition.requestStream) throw new InvalidOptionsError(`${this.service}.${method} is not a server-streaming method; use call()`);
    if (this.closed) throw new InvalidOptionsError(`client for ${this.service} is shut down`);
    const call: CallInfo = { service: this.service, method, idempotent: options.idempotent ?? this.idempotent(method), tried: [] };
    const scope = currentCallScope();
    const streamDeadline = Math.min(Date.now() + (options.timeoutMs ?? this.timeoutMs), scope?.deadline ?? Infinity);
    const signal = options.signal ?? scope?.signal;
    this.window.recordRequest();
    const started = performance.now();
    const span = startCallTrace(this.service, method, scope?.trace, this.serviceBreaker?.state ?? 'none');
    const ended = (error: unknown): void => {
      const ms = performance.now() - started;
      const code = error === null ? 'OK' : codeName(error);
      if (error === null) this.window.recordSuccess(ms);
      else this.window.record('failure', ms);
      this.metrics?.clientCall(this.service, method, code, ms / 1000);
      span.end(code, error ?? undefined, false, this.serviceBreaker?.state ?? 'none');
    };
    const open = (instance: ServiceInstance, ctx: PolicyContext, attemptTrace: TraceContext | undefined): Promise<unknown> => {
      const metadata = this.attemptMetadata(ctx, options, attemptTrace, streamDeadline);
      const opened = performance.now();
      this.balancer.onStart?.(instance);
      if (this.trackLoad) this.tracker.start(instance.id);
      const finish = (error: unknown, ok = error === null || !isServerFault(error), latencyMs = performance.now() - opened): void => {
        this.balancer.onEnd?.(instance, { ok, latencyMs });
        if (this.trackLoad) this.tracker.end(instance.id, ok, latencyMs);
      };
      const firstMessageBy = Math.min(ctx.deadline, Date.now() + this.attemptTimeoutMs);
      return openServerStream<Res>({ client: this.pool.get(instance), definition, request, metadata, streamDeadline, firstMessageBy, callerSignal: signal, openSignal: ctx.signal }).then(
        (stream) => (stream.rest.onEnd((error) => finish(error)), stream),
        (error: unknown) => {
          finish(error);
          throw Object.assign(error as object, { instanceId: instance.id });
        },
      );
    };
    try {
      const stream = (await this.stack.execute((ctx) => this.attempt(definition, ctx, span, (instance, inner, attemptTrace) => open(instance, inner, attemptTrace)), {
        call,
        signal,
        deadline: streamDeadline,
      })) as OpenedServerStream<Res>;
      stream.rest.onEnd(ended);
      return stream;
    } catch (error) {
      ended(error);
      throw error;
    }
  }

  /** A function calling `method` (handy for typed wrappers). */
  method<Req, Res>(method: string): UnaryMethod<Req, Res> {
    if (this.definition[method] === undefined) {
      throw new InvalidOptionsError(`${this.service} has no method ${show(method)}; it has ${this.methods.join(', ')}`);
    }
    return ((request: Req, options?: CallOptions<Res>) => this.call<Req, Res>(method, request, options)) as UnaryMethod<Req, Res>;
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
    ctx: PolicyContext,
    span: CallTrace,
    run: (instance: ServiceInstance, inner: PolicyContext, attemptTrace: TraceContext | undefined) => Promise<unknown>,
  ): Promise<unknown> {
    const view = this.resolver.instances();
    const candidates = selectCandidates(view, this.isEjected, ctx.call.tried);
    const instance = candidates.length === 0 ? undefined : this.balancer.pick(candidates, ctx.call, view);
    if (instance === undefined) throw new NoHealthyInstanceError(this.service, view.length);
    ctx.call.tried.push(instance.id);
    ctx.call.instance = instance;
    if (ctx.attempt > 0) this.metrics?.clientFailover(this.service);
    const breaker = this.instanceBreakers.policyFor(instance.id);
    if (!span.recording) return breaker.execute((inner) => run(instance, inner, span.context), ctx); // off or unsampled
    const attempt = span.attempt(instance, ctx.attempt, this.instanceBreakers.stateOf(instance.id), ctx.deadline);
    const pending = breaker.execute((inner) => run(instance, inner, attempt.context), ctx);
    pending.then(
      () => attempt.end('OK', undefined, this.instanceBreakers.stateOf(instance.id)),
      (error: unknown) => attempt.end(codeName(error), error, this.instanceBreakers.stateOf(instance.id)),
    );
    return pending;
  }

  /** The metadata of one attempt: identity, trace, attempt number, deadline, idempotency key, the caller's extras. */
  private attemptMetadata(ctx: PolicyContext, options: { readonly metadata?: Readonly<Record<string, string>> }, attemptTrace: TraceContext | undefined, deadline: number): grpc.Metadata {
    const metadata = this.baseMetadata.clone();
    // Propagate the trace of the call being served; a call outside any trace sends none and the
    // server starts the trace (a fresh random header per call defeats HPACK and costs ~20 µs on the wire).
    const parent = attemptTrace === undefined ? currentCallScope()?.trace : undefined;
    if (attemptTrace !== undefined) metadata.set(MetadataKeys.traceparent, formatTraceparent(attemptTrace));
    else if (parent !== undefined) metadata.set(MetadataKeys.traceparent, formatTraceparent(childSpan(parent)));
    if (ctx.attempt > 0) metadata.set(MetadataKeys.attempt, String(ctx.attempt));
    if (deadline !== Infinity) metadata.set(MetadataKeys.deadline, String(Math.ceil(deadline)));
    if (ctx.call.idempotencyKey !== undefined) metadata.set(MetadataKeys.idempotencyKey, ctx.call.idempotencyKey);
    if (options.metadata !== undefined) for (const [key, value] of Object.entries(options.metadata)) metadata.set(key, value);
    return metadata;
  }

  /** The raw gRPC call to one instance. */
  private invoke(
    instance: ServiceInstance,
    definition: grpc.MethodDefinition<unknown, unknown>,
    request: unknown,
    ctx: PolicyContext,
    options: CallOptions<unknown>,
    cancel: AbortSignal | undefined,
    attemptTrace: TraceContext | undefined,
  ): Promise<unknown> {
    // The gRPC deadline bounds the attempt, so only the caller's own signal is watched here
    // (reading ctx.signal would materialise the deadline policy's lazy AbortController).
    return new Promise((resolve, reject) => {
      const client = this.pool.get(instance);
      const attemptDeadline = Math.min(ctx.deadline, Date.now() + this.attemptTimeoutMs);
      const metadata = this.attemptMetadata(ctx, options, attemptTrace, attemptDeadline);
      const started = performance.now();
      this.balancer.onStart?.(instance);
      if (this.trackLoad) this.tracker.start(instance.id);
      let onAbort: (() => void) | undefined;
      // not makeUnaryRequest: it captures a (deep, here) caller stack on every call; see unary-call.ts
      const grpcCall = startUnaryCall(client, definition, request, metadata, attemptDeadline, (error, response) => {
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
      });
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
