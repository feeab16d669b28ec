import type { ServiceDefinition } from '@grpc/grpc-js';
import type { Redis } from 'ioredis';
import { hostname } from 'node:os';
import type { ServiceInstance } from './core/instance';
import { InvalidOptionsError } from './core/sidecar.error';
import { assertObject, assertString, show } from './core/validate';
import type { AuthOptions } from './auth/auth-options';
import { resolveAuthOptions } from './auth/auth-options';
import { ServiceClient, type DownstreamSnapshot, type ServiceClientOptions } from './client/service-client';
import { createResolver, type ResolverOptions } from './discovery/create-resolver';
import { formatAddress } from './discovery/service-instance';
import { RedisRegistry, type Registration } from './discovery/redis.registry';
import { RegistrySigner } from './discovery/registry-signature';
import { RedisResolver } from './discovery/redis.resolver';
import type { Resolver } from './discovery/resolver';
import { RedisFaultRuleStore } from './faults/redis-fault-rule.store';
import { Readiness, type ReadinessCheck } from './health/readiness';
import { SidecarServer } from './server/sidecar.server';
import type { SidecarServerOptions, SidecarServerSnapshot } from './server/server.types';
import { createLogger, type Logger, type LogLevel } from './telemetry/logger';
import { SidecarMetrics } from './telemetry/metrics';

/** Discovery settings of a Sidecar (the Redis registry). */
export interface SidecarDiscoveryOptions {
  /** Key prefix of the registry (default `failsoft:registry`). */
  readonly prefix?: string;
  /** Lifetime of a registration without heartbeat, ms (default 10000). */
  readonly ttlMs?: number;
  /** Heartbeat period, ms (default ttlMs / 3). */
  readonly heartbeatMs?: number;
  /** Period of the resolvers' full refresh, ms (default: the heartbeat period). */
  readonly refreshMs?: number;
  /**
   * Shared discovery key (16+ characters): entries are HMAC-signed with it and resolvers use only
   * entries signed with it. Default: derived from `auth.token` (services sharing the token share
   * the key); with mTLS and no token, set it (else entries are unsigned and every entry is used).
   */
  readonly key?: string;
}

/**
 * Logged once when a sidecar is given an empty zone (e.g. ZONE set but empty: Kubernetes fills it
 * from a pod label only from 1.35, or 1.33-1.34 with a feature gate), instead of going on silently.
 */
const ZONE_UNKNOWN_MESSAGE =
  'zone unknown (ZONE is empty): this instance registers without a zone and its calls prefer no zone (zone-aware balancing is off); ' +
  "set ZONE to its failure domain (on Kubernetes, components/zone-aware fills it from the pod's topology.kubernetes.io/zone label, " +
  'which needs Kubernetes 1.35+, or 1.33-1.34 with the PodTopologyLabelsAdmission feature gate)';

/** Options of a Sidecar: the identity of this process and its shared infrastructure. */
export interface SidecarOptions {
  /** Logical name of this service, e.g. `gateway`. */
  readonly service: string;
  /** Unique id of this instance (default `<service>-<host>-<pid>`). */
  readonly instanceId?: string;
  /** Failure domain of this instance; enables zone-aware balancing (default `''`: off). */
  readonly zone?: string;
  /** Identity of internal calls, both directions: shared token, or mTLS certificates. */
  readonly auth: AuthOptions;
  /**
   * ioredis client (e.g. a Sentinel client from @failsoft/state) for the registry and fault
   * rules. Without it, clients need explicit resolvers and no fault rules are read.
   */
  readonly redis?: Redis;
  /** Registry settings. */
  readonly discovery?: SidecarDiscoveryOptions;
  /** Read fault-injection rules from Redis and apply them to served calls (default true with `redis`). */
  readonly faultInjection?: boolean;
  /** Logger (default JSON lines on stdout). */
  readonly logger?: Logger;
  /** Level of the default logger (default `info`). */
  readonly logLevel?: LogLevel;
  /** Metrics (default a SidecarMetrics on its own registry). */
  readonly metrics?: SidecarMetrics;
  /**
   * Readiness checks by name (e.g. `{ redis: () => pingRedis() }`): the process is not ready
   * (`/readyz` 503 naming the check, gRPC health NOT_SERVING) while one fails. More can be added
   * later with `sidecar.readiness.addCheck(name, check)`.
   */
  readonly readinessChecks?: Readonly<Record<string, ReadinessCheck>>;
}

/** Options of `sidecar.client()`: ServiceClientOptions minus what the sidecar supplies. */
export type SidecarClientOptions = Omit<ServiceClientOptions, 'resolver' | 'caller' | 'auth' | 'metrics' | 'logger'> & {
  /** Where instances come from (default: the Redis registry). */
  readonly resolver?: ResolverOptions;
  /** Override of the identity used towards this downstream. */
  readonly auth?: AuthOptions;
};

/** Options of `sidecar.server()`. */
export type SidecarServeOptions = Omit<SidecarServerOptions, 'service' | 'instanceId' | 'zone' | 'auth' | 'metrics' | 'logger' | 'registration' | 'faults' | 'onListen'> & {
  /** Host other instances dial (registered in discovery; default the bind host). */
  readonly advertiseHost?: string;
  /** Relative weight for weighted balancing (default 1). */
  readonly weight?: number;
  /** Labels registered with the instance. */
  readonly metadata?: Readonly<Record<string, string>>;
};

/** The live state of one process, for consoles and `/snapshot`. */
export interface SidecarSnapshot {
  readonly service: string;
  readonly instanceId: string;
  readonly zone: string;
  readonly pid: number;
  readonly time: string;
  /** The server side, when this process serves gRPC. */
  readonly server?: SidecarServerSnapshot;
  /** Registered in discovery right now. */
  readonly registered: boolean;
  /** One entry per downstream service this process calls. */
  readonly downstreams: readonly DownstreamSnapshot[];
}

/**
 * The sidecar of one process: builds resilient clients for downstream services and a gRPC
 * server that registers itself in discovery, honours fault rules and drains on SIGTERM; owns
 * the metrics and the live snapshot.
 *
 * ```ts
 * const sidecar = new Sidecar({ service: 'gateway', auth: { token }, redis });
 * const likes = sidecar.client({ service: 'likes', definition, idempotentMethods: ['Counts'] });
 * await sidecar.start();
 * const counts = await likes.call('Counts', { postIds }, { fallback: () => ({ counts: {} }) });
 * ```
 */
export class Sidecar {
  /** This service's name. */
  readonly service: string;
  /** This instance's id. */
  readonly instanceId: string;
  /** This instance's zone (`''` when unknown). */
  readonly zone: string;
  /** Metrics of the process (Prometheus text via `metrics.metrics()`). */
  readonly metrics: SidecarMetrics;
  /** Structured JSON logger. */
  readonly logger: Logger;
  /**
   * Readiness of the process, shared with its gRPC server: ready once started, not draining,
   * and every check added with `readiness.addCheck(name, fn)` passes.
   */
  readonly readiness = new Readiness();
  private readonly auth: AuthOptions;
  private readonly redis?: Redis;
  private readonly discovery: SidecarDiscoveryOptions;
  private readonly signer: RegistrySigner | undefined;
  private readonly faultInjection: boolean;
  private readonly ownsMetrics: boolean;
  private readonly clients = new Map<string, { client: ServiceClient; resolver: Resolver; ownsResolver: boolean }>();
  private registry?: RedisRegistry;
  private faultStore?: RedisFaultRuleStore;
  private registration?: Registration;
  private servers: SidecarServer[] = [];
  private closed = false;

  /** @throws InvalidOptionsError naming the bad option and value. */
  constructor(options: SidecarOptions) {
    assertObject('sidecar options', options);
    this.service = assertString('sidecar.service', options.service);
    if (!/^[a-z][a-z0-9-]{0,62}$/.test(this.service)) {
      throw new InvalidOptionsError(`sidecar.service must be lowercase letters, digits and dashes (e.g. "likes"); got ${show(options.service)}`);
    }
    this.instanceId = options.instanceId === undefined ? `${this.service}-${hostname()}-${process.pid}` : assertString('sidecar.instanceId', options.instanceId);
    if (options.zone !== undefined && typeof options.zone !== 'string') throw new InvalidOptionsError(`sidecar.zone must be a string; got ${show(options.zone)}`);
    this.zone = options.zone ?? '';
    resolveAuthOptions(options.auth); // validates now, not at the first call
    this.auth = options.auth;
    if (options.redis !== undefined && typeof (options.redis as { duplicate?: unknown }).duplicate !== 'function') {
      throw new InvalidOptionsError(`sidecar.redis must be an ioredis client; got ${show(options.redis)}`);
    }
    this.redis = options.redis;
    this.discovery = assertObject('sidecar.discovery', options.discovery, true) as SidecarDiscoveryOptions;
    this.signer = discoverySigner(this.discovery.key, options.auth);
    this.faultInjection = options.faultInjection ?? options.redis !== undefined;
    if (this.faultInjection && options.redis === undefined) {
      throw new InvalidOptionsError('sidecar.faultInjection needs sidecar.redis (rules are read from Redis); got faultInjection: true without redis');
    }
    const base = createLogger({ service: this.service, instance: this.instanceId, level: options.logLevel ?? 'info' });
    this.logger = options.logger ?? (options.zone ? base.child({ zone: options.zone }) : base);
    if (options.zone === '') this.logger.warn(ZONE_UNKNOWN_MESSAGE);
    for (const [name, check] of Object.entries(assertObject('sidecar.readinessChecks', options.readinessChecks, true))) {
      if (typeof check !== 'function') throw new InvalidOptionsError(`sidecar.readinessChecks.${name} must be a function returning a boolean; got ${show(check)}`);
      this.readiness.addCheck(name, check as ReadinessCheck);
    }
    this.ownsMetrics = options.metrics === undefined;
    this.metrics = options.metrics ?? new SidecarMetrics({ service: this.service, instance: this.instanceId });
  }

  /**
   * A resilient client for a downstream service (one per service; calling again with the same
   * service name returns the existing client).
   * @throws InvalidOptionsError on bad options, or when no resolver is given and no Redis is configured.
   */
  client(options: SidecarClientOptions): ServiceClient {
    this.assertOpen();
    assertObject('client options', options);
    const existing = this.clients.get(options.service);
    if (existing !== undefined) return existing.client;
    const { resolver: resolverOptions, auth, ...rest } = options;
    let resolver: Resolver;
    let ownsResolver = true;
    if (resolverOptions === undefined) {
      if (this.redis === undefined) {
        throw new InvalidOptionsError(`client ${show(options.service)} needs a resolver: pass resolver: { kind: 'static' | 'dns', ... } or give the sidecar a redis client`);
      }
      resolver = createResolver({
        kind: 'redis',
        redis: this.redis,
        service: options.service,
        prefix: this.discovery.prefix,
        refreshMs: this.discovery.refreshMs ?? this.discovery.heartbeatMs ?? Math.round((this.discovery.ttlMs ?? 10_000) / 3),
        signer: this.signer,
      });
      if (resolver instanceof RedisResolver) {
        resolver.onRejectedEntry((message) => this.logger.warn('discovery entry refused', { message, rejectedSoFar: (resolver as RedisResolver).rejectedEntries }));
      }
    } else {
      resolver = createResolver(resolverOptions);
      ownsResolver = !('instances' in resolverOptions && !('kind' in resolverOptions));
    }
    const client = new ServiceClient({
      ...rest,
      resolver,
      auth: auth ?? this.auth,
      caller: { service: this.service, instance: this.instanceId, zone: this.zone },
      metrics: this.metrics,
      logger: this.logger,
    });
    this.clients.set(options.service, { client, resolver, ownsResolver });
    if (ownsResolver) {
      resolver.start().catch((error: unknown) => this.logger.warn('resolver failed to start; keeping an empty view', { downstream: options.service, error: String(error) }));
    }
    return client;
  }

  /**
   * A gRPC server for this service that registers itself in discovery once listening
   * (`listen()`), honours fault rules from Redis, and deregisters first when draining.
   */
  server(options: SidecarServeOptions = {}): SidecarServer {
    this.assertOpen();
    const { advertiseHost, weight, metadata, ...serverOptions } = assertObject('server options', options, true) as SidecarServeOptions;
    if (this.faultInjection && this.faultStore === undefined && this.redis !== undefined) {
      this.faultStore = new RedisFaultRuleStore({ redis: this.redis });
      this.faultStore.start().catch((error: unknown) => this.logger.warn('fault rules could not be loaded; none applied until Redis answers', { error: String(error) }));
    }
    const server = new SidecarServer({
      ...serverOptions,
      service: this.service,
      instanceId: this.instanceId,
      zone: this.zone,
      auth: this.auth,
      metrics: this.metrics,
      logger: this.logger,
      faults: this.faultStore,
      registration: { deregister: () => this.deregister() },
      readiness: this.readiness,
      // once listening, the server is registered, so callers only see instances that listen
      onListen: ({ port }) => this.registerServer(port, advertiseHost ?? serverOptions.host ?? '127.0.0.1', weight, metadata),
    });
    this.servers.push(server);
    return server;
  }

  /**
   * Waits until every client's resolver has its first view (bounded by each resolver), then
   * marks the process started for readiness (a gRPC server does that itself when it listens).
   */
  async start(): Promise<void> {
    await Promise.all([...this.clients.values()].filter((c) => c.ownsResolver).map((c) => c.resolver.start().catch(() => undefined)));
    if (this.servers.length === 0) await this.readiness.markStarted();
  }

  /** The live state of this process: server counters and, per downstream, instances, breakers and rates. */
  snapshot(): SidecarSnapshot {
    return {
      service: this.service,
      instanceId: this.instanceId,
      zone: this.zone,
      pid: process.pid,
      time: new Date().toISOString(),
      server: this.servers[0]?.snapshot(),
      registered: this.registration !== undefined,
      downstreams: [...this.clients.values()].map(({ client }) => client.snapshot()),
    };
  }

  /**
   * The first step of a graceful stop, while everything keeps working: readiness turns false
   * (`/readyz` 503, gRPC health NOT_SERVING) and the instance leaves discovery, so load balancers
   * and callers stop sending new work. Servers keep serving and clients keep calling until
   * `shutdown()`. Idempotent; never rejects (a failed deregistration expires with its TTL).
   */
  async beginDrain(): Promise<void> {
    if (this.closed) return;
    this.readiness.markDraining();
    await this.deregister().catch((error: unknown) => this.logger.warn('deregistration failed while draining; the entry expires with its TTL', { error: String(error) }));
  }

  /** Drains servers (deregistering first), then closes clients, resolvers, registry and fault store. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.readiness.markDraining();
    await Promise.all(this.servers.map((server) => server.drain().catch(() => undefined)));
    await this.deregister();
    for (const { client, resolver, ownsResolver } of this.clients.values()) {
      client.shutdown();
      if (ownsResolver) await resolver.shutdown().catch(() => undefined);
    }
    this.clients.clear();
    await this.registry?.shutdown();
    await this.faultStore?.shutdown();
    this.readiness.shutdown();
    if (this.ownsMetrics) this.metrics.shutdown();
  }

  private async registerServer(port: number, host: string, weight: number | undefined, metadata: Readonly<Record<string, string>> | undefined): Promise<void> {
    if (this.redis === undefined) return;
    await this.register({
      id: this.instanceId,
      service: this.service,
      address: formatAddress(host, port),
      zone: this.zone,
      weight: weight ?? 1,
      metadata: { pid: String(process.pid), startedAt: new Date().toISOString(), ...metadata },
    });
  }

  private async register(instance: ServiceInstance): Promise<void> {
    if (this.registry === undefined) {
      this.registry = new RedisRegistry({ redis: this.redis as Redis, prefix: this.discovery.prefix, ttlMs: this.discovery.ttlMs, heartbeatMs: this.discovery.heartbeatMs, signer: this.signer });
    }
    this.registration = await this.registry.register(instance);
  }

  private async deregister(): Promise<void> {
    const registration = this.registration;
    this.registration = undefined;
    await registration?.deregister();
  }

  private assertOpen(): void {
    if (this.closed) throw new InvalidOptionsError(`sidecar of ${this.service} is shut down; create a new one`);
  }
}

/** A service definition type re-exported for adapters. */
export type { ServiceDefinition };

/** The signer of registry entries: the explicit discovery key, else one derived from the shared token. */
function discoverySigner(key: string | undefined, auth: AuthOptions | undefined): RegistrySigner | undefined {
  if (key !== undefined) return new RegistrySigner(key, 'sidecar.discovery.key');
  const token = (auth as { token?: unknown } | undefined)?.token;
  return typeof token === 'string' && token.length > 0 ? RegistrySigner.fromToken(token) : undefined;
}
