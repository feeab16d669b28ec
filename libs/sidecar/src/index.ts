/**
 * @failsoft/sidecar — an in-process service mesh for gRPC services: discovery, load balancing,
 * outlier detection, retries with a budget, deadlines, bulkheads, fallbacks, fault injection,
 * health, graceful drain, identity and telemetry. Framework-free; the NestJS adapter lives in
 * `@failsoft/sidecar/nest`.
 *
 * The public API, curated: what a service, a test or an extension (a client or server policy, a
 * balancer, a resolver) needs. Helpers used between the library's own rooms stay internal.
 */

// the sidecar of a process
export {
  Sidecar,
  type SidecarOptions,
  type SidecarDiscoveryOptions,
  type SidecarClientOptions,
  type SidecarServeOptions,
  type SidecarSnapshot,
} from './lib/sidecar';

// errors: one base (SidecarError, with a stable code) and a guard per error
export { SidecarError, type SidecarErrorCode, isSidecarError, InvalidOptionsError, isInvalidOptionsError } from './lib/core/sidecar.error';
export { BrokenCircuitError, isBrokenCircuitError } from './lib/policies/broken-circuit.error';
export { BulkheadRejectedError, isBulkheadRejectedError } from './lib/policies/bulkhead-rejected.error';
export { DeadlineExceededError, isDeadlineExceededError } from './lib/policies/deadline-exceeded.error';
export { NoHealthyInstanceError, isNoHealthyInstanceError } from './lib/client/no-healthy-instance.error';
export { DiscoveryError, isDiscoveryError } from './lib/discovery/discovery.error';
export { UnauthenticatedError, isUnauthenticatedError } from './lib/auth/unauthenticated.error';
export { ConfigError, isConfigError } from './lib/config/env-config';
export { isInjectedFault } from './lib/faults/injected-fault';
export { GrpcStatus, type GrpcStatusCode, type GrpcErrorLike, isGrpcError } from './lib/policies/grpc-status';

// wire and call scope
export { MetadataKeys } from './lib/core/metadata-keys';
export { type CallScope, type TraceContext, runInCallScope, currentCallScope } from './lib/core/call-scope';
export { type Disposable, type Event, EventEmitter } from './lib/core/event';
export { type ServiceInstance } from './lib/core/instance';

// client side
export { type OpenedServerStream } from './lib/client/open-server-stream';
export { type ServerStreamReader } from './lib/client/server-stream-call';
export {
  ServiceClient,
  type ServiceClientOptions,
  type ClientRetryOptions,
  type ClientBulkheadOptions,
  type CallOptions,
  type StreamOptions,
  type InstanceSnapshot,
  type DownstreamSnapshot,
  type UnaryMethod,
  type TypedClient,
} from './lib/client/service-client';

// client policies (cockatiel style: one per file, composed with wrap(), outermost first)
export { type CallInfo, type PolicyContext, type PolicyFn, type IPolicy, NoopPolicy, wrap } from './lib/core/policy';
export * from './lib/policies/public';

// balancing and discovery (pluggable by name: createBalancer / createResolver)
export { type Balancer, type CallOutcome } from './lib/balancing/balancer';
export { createBalancer, type CreateBalancerOptions, type BalancerKind, BALANCER_KINDS } from './lib/balancing/create-balancer';
export { P2cBalancer, type P2cBalancerOptions } from './lib/balancing/p2c.balancer';
export { RoundRobinBalancer, type RoundRobinBalancerOptions } from './lib/balancing/round-robin.balancer';
export { WeightedRoundRobinBalancer, type WeightedRoundRobinBalancerOptions } from './lib/balancing/weighted-round-robin.balancer';
export { ZoneAwareBalancer, type ZoneAwareBalancerOptions, type SpilloverEvent } from './lib/balancing/zone-aware.balancer';
export { type Resolver, isResolver } from './lib/discovery/resolver';
export { createResolver, type ResolverOptions, RESOLVER_KINDS } from './lib/discovery/create-resolver';
export { RedisRegistry, type RedisRegistryOptions, type Registration, type RegistryEvent, DEFAULT_REGISTRY_PREFIX } from './lib/discovery/redis.registry';
export { RedisResolver, type RedisResolverOptions } from './lib/discovery/redis.resolver';
export { RegistrySigner, MIN_DISCOVERY_KEY_LENGTH } from './lib/discovery/registry-signature';
export { DnsResolver, type DnsResolverOptions } from './lib/discovery/dns.resolver';
export { StaticResolver, type StaticResolverOptions } from './lib/discovery/static.resolver';
export { formatAddress, parseAddress, type HostPort } from './lib/discovery/service-instance';

// server side (server policies run in order for every call; see docs/extending.md)
export * from './lib/server/index';

// identity
export { type AuthOptions, type TlsAuthOptions, type PemSource } from './lib/auth/auth-options';

// fault injection
export { validateFaultRule, MAX_FAULT_DELAY_MS, type FaultRule, type FaultRuleInput } from './lib/faults/fault-rule';
export { FaultRules, type FaultRulesOptions } from './lib/faults/fault-rules';
export { isFaultSource, type FaultSource, type FaultDecision } from './lib/faults/fault-source';
export { RedisFaultRuleStore, type RedisFaultRuleStoreOptions } from './lib/faults/redis-fault-rule.store';

// health and readiness
export { DEFAULT_HEALTH_LIMITS, type HealthLimits } from './lib/health/health-limits';
export { HealthService, HEALTH_SERVICE_NAME, loadHealthClient, loadHealthDefinition, type ServingStatus } from './lib/health/health.service';
export { Readiness, type ReadinessCheck, type ReadinessCheckResult, type ReadinessReport, type ReadinessOptions } from './lib/health/readiness';
export { AdminHttpServer, type AdminHttpServerOptions } from './lib/health/admin-http.server';
export { type ReadinessSource } from './lib/health/admin-handlers';

// telemetry
export { SidecarMetrics, type SidecarMetricsOptions, type MetricsSource, DEFAULT_LATENCY_BUCKETS } from './lib/telemetry/metrics';
export { createLogger, noopLogger, type Logger, type LogLevel, type LogFields, type LogSink, type LoggerOptions } from './lib/telemetry/logger';
export { createPinoLogger, type PinoLoggerOptions } from './lib/telemetry/pino-logger';
// OpenTelemetry: spans through @opentelemetry/api (no-op until a tracer provider is registered)
export { startTracing, type StartTracingOptions, type TracingHandle } from './lib/telemetry/otel/tracing-sdk';
export { SpanAttributes, SpanEvents } from './lib/telemetry/otel/span-attributes';
export { TRACER_NAME, tracingActive } from './lib/telemetry/otel/tracer';

// configuration from the environment
export { env, readEnvConfig, type EnvField, type EnvConfig } from './lib/config/env-config';
export { serviceEnvSchema, grpcServiceEnvSchema, redisCredentialsOf, type RedisCredentials } from './lib/config/service-env';
export { serviceAuthOptions, type ServiceAuthEnv } from './lib/config/service-auth';
export { memoryLimitEnvSchema, concurrencyForMemory, type MemoryConcurrencyOptions } from './lib/config/memory-budget';
