import type * as grpc from '@grpc/grpc-js';
import type { Balancer, CreateBalancerOptions } from '../balancing/create-balancer';
import type { Resolver } from '../discovery/resolver';
import type { CircuitBreakerOptions } from '../policies/circuit-breaker.policy';
import type { AuthOptions } from '../auth/auth-options';
import type { Logger } from '../telemetry/logger';
import type { SidecarMetrics } from '../telemetry/metrics';

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

/** Options of one server-streaming call (`client.stream()`). */
export interface StreamOptions {
  /** Deadline of the whole stream in ms (default: the client's `timeoutMs`); capped by an incoming call's deadline. */
  readonly timeoutMs?: number;
  /** Overrides whether opening this stream may be retried on another instance (before its first message only). */
  readonly idempotent?: boolean;
  /** Cancels the stream, while opening or while reading (default: the incoming call's signal when serving a call). */
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

/**
 * A callable for one method of a typed client. With a `fallback`, the answer is the response or
 * what the fallback returns (e.g. `null`): `likes.Counts(request, { fallback: () => null })`.
 */
export interface UnaryMethod<Req, Res> {
  (request: Req, options?: CallOptions<Res>): Promise<Res>;
  <F>(request: Req, options: CallOptions<Res | F> & { readonly fallback: (error: unknown) => F | Promise<F> }): Promise<Res | F>;
}

/** A typed client: one promise-returning function per method (`{ Like: [LikeRequest, LikeResponse] }`). */
export type TypedClient<M extends Record<string, [unknown, unknown]>> = { readonly [K in keyof M]: UnaryMethod<M[K][0], M[K][1]> };
