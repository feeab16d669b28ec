import type { Redis } from 'ioredis';
import { EventEmitter, type Event } from '../core/event';
import type { ServiceInstance } from '../core/instance';
import { InvalidOptionsError, SidecarError } from '../core/sidecar.error';
import { assertNumber, assertObject, assertString, show } from '../core/validate';
import { DiscoveryError, toDiscoveryError, withTimeout } from './discovery.error';
import type { RegistrySigner } from './registry-signature';
import { toServiceInstance } from './service-instance';

/** Default key prefix of the registry. */
export const DEFAULT_REGISTRY_PREFIX = 'failsoft:registry';

/** The Redis keys and channel of one service in the registry (see RedisRegistry for the layout). */
export interface RegistryKeys {
  /** ZSET: member = instance id, score = expiry (epoch ms) of its last heartbeat. */
  readonly index: string;
  /** Pub/Sub channel of join/leave events. */
  readonly events: string;
  /** STRING key holding the instance JSON, with a TTL. */
  instance(id: string): string;
}

/** The keys of `service` under `prefix` (the `{service}` hash tag keeps them in one cluster slot). */
export function registryKeys(prefix: string, service: string): RegistryKeys {
  const base = `${prefix}:{${service}}`;
  return { index: `${base}:index`, events: `${base}:events`, instance: (id) => `${base}:instance:${id}` };
}

/** A join/leave message published on a service's events channel. */
export type RegistryEvent =
  | { readonly type: 'join'; readonly instance: ServiceInstance }
  | { readonly type: 'leave'; readonly id: string; readonly address: string };

/** Options of a RedisRegistry. */
export interface RedisRegistryOptions {
  /** The ioredis client to use (e.g. a Sentinel client); owned by the caller, never closed here. */
  readonly redis: Redis;
  /** Key prefix (default `failsoft:registry`). */
  readonly prefix?: string;
  /** Lifetime of an entry without heartbeat, integer ms >= 1000 (default 10000). */
  readonly ttlMs?: number;
  /** Heartbeat period, integer ms >= 50 and < ttlMs (default a third of ttlMs). */
  readonly heartbeatMs?: number;
  /** Bound of the waits of `register()` / `deregister()` in ms (default 2000). */
  readonly timeoutMs?: number;
  /**
   * Signs every entry and join/leave event (HMAC under the services' shared discovery key) so that
   * resolvers holding the same key accept them; without it entries are written unsigned.
   */
  readonly signer?: RegistrySigner;
}

/** Reported on `onError`: a registry operation failed (it is retried by the next heartbeat). */
export interface RegistryErrorEvent {
  /** The instance concerned. */
  readonly instanceId: string;
  /** The failed operation. */
  readonly operation: 'register' | 'heartbeat' | 'deregister';
  /** The failure (code DISCOVERY_UNAVAILABLE). */
  readonly error: DiscoveryError;
}

/** Reported on `onRegister`: an instance was written to the registry. */
export interface RegisterEvent {
  /** The instance written. */
  readonly instance: ServiceInstance;
  /** `initial` for the first write, `recovered` when a heartbeat found the entry gone (expired, failover) and wrote it again. */
  readonly reason: 'initial' | 'recovered';
}

/** A live registration: heartbeats until `deregister()` (or the registry's `shutdown()`). */
export interface Registration {
  /** The registered instance (normalised). */
  readonly instance: ServiceInstance;
  /** True when the last write or heartbeat confirmed the entry is in Redis. */
  readonly registered: boolean;
  /** Stops heartbeating, deletes the entry and publishes a leave event (use when draining). Never rejects. */
  deregister(): Promise<void>;
}

/**
 * Service registry in Redis: instances register themselves, heartbeat, and disappear on their own
 * when they die.
 *
 * Storage layout (per service `s`, `P` = prefix; `{s}` is a cluster hash tag):
 * - `P:{s}:instance:<id>` STRING: the instance as JSON, with a TTL of `ttlMs`, refreshed by each
 *   heartbeat (`PEXPIRE`). This TTL is the truth: a dead instance's key expires on the server's
 *   clock, whatever the clients' clocks say.
 * - `P:{s}:index` ZSET: member = instance id, score = expiry in epoch ms. It lets a resolver list
 *   one service's instances with `ZRANGE` + `MGET` (ids whose key expired simply read as nil).
 *   Heartbeats trim members expired for more than `ttlMs` (a skew margin).
 * - `P:{s}:events` Pub/Sub channel: `{"type":"join","instance":{...}}` on (re-)registration and
 *   `{"type":"leave","id":...,"address":...}` on deregistration, so resolvers update at once.
 *
 * A heartbeat that finds the key gone (expired during a pause, or lost in a failover to a replica
 * that had not received it) writes it again and publishes a new join. Redis errors never crash
 * anything: they are reported on `onError` and retried by the next heartbeat. Timers are unref'd.
 */
export class RedisRegistry {
  /** The key prefix. */
  readonly prefix: string;
  /** Entry lifetime without heartbeat (ms). */
  readonly ttlMs: number;
  /** Heartbeat period (ms). */
  readonly heartbeatMs: number;
  /** Bound of the waits of register/deregister (ms). */
  readonly timeoutMs: number;
  /** @internal */
  readonly redis: Redis;
  /** @internal */
  readonly signer: RegistrySigner | undefined;
  /** @internal */
  readonly registrations = new Map<string, RedisRegistration>();
  private closed = false;
  private readonly errors = new EventEmitter<RegistryErrorEvent>();
  private readonly registers = new EventEmitter<RegisterEvent>();
  private readonly onClientError = (): void => {
    // the client reconnects by itself; failures surface on the operations (onError)
  };

  /** Fires when an operation fails (the view of other instances is unaffected; retried by the next heartbeat). */
  readonly onError: Event<RegistryErrorEvent> = this.errors.event;
  /** Fires when an instance is written (first time, or again after its entry vanished). */
  readonly onRegister: Event<RegisterEvent> = this.registers.event;

  /** @throws InvalidOptionsError naming the bad option and value. */
  constructor(options: RedisRegistryOptions) {
    assertObject('registry options', options);
    const redis = options.redis as unknown as Record<string, unknown> | undefined;
    if (typeof redis !== 'object' || redis === null || typeof redis['multi'] !== 'function' || typeof redis['on'] !== 'function') {
      throw new InvalidOptionsError(`registry.redis must be an ioredis client (new Redis(...)); got ${show(options.redis)}`);
    }
    this.redis = options.redis;
    this.prefix = assertString('registry.prefix', options.prefix ?? DEFAULT_REGISTRY_PREFIX);
    this.ttlMs = assertNumber('registry.ttlMs', options.ttlMs ?? 10_000, 1_000, 86_400_000, true);
    const heartbeatDefault = Math.max(50, Math.floor(this.ttlMs / 3));
    const heartbeatMs = options.heartbeatMs ?? heartbeatDefault;
    if (typeof heartbeatMs !== 'number' || !Number.isInteger(heartbeatMs) || heartbeatMs < 50 || heartbeatMs >= this.ttlMs) {
      throw new InvalidOptionsError(
        `registry.heartbeatMs must be an integer from 50 to ${this.ttlMs - 1} (less than registry.ttlMs); got ${show(heartbeatMs)}`,
      );
    }
    this.heartbeatMs = heartbeatMs;
    this.timeoutMs = assertNumber('registry.timeoutMs', options.timeoutMs ?? 2_000, 1, 600_000, true);
    if (options.signer !== undefined && typeof (options.signer as { signInstance?: unknown }).signInstance !== 'function') {
      throw new InvalidOptionsError(`registry.signer must be a RegistrySigner; got ${show(options.signer)}`);
    }
    this.signer = options.signer;
    this.redis.on('error', this.onClientError);
  }

  /**
   * Registers `instance` and keeps it alive with heartbeats. Resolves once the first write is
   * done, or after `timeoutMs` when Redis is unreachable (heartbeats keep trying; `registered`
   * tells whether it is in). Rejects only on an invalid instance, a duplicate id, or after shutdown.
   */
  async register(instance: ServiceInstance): Promise<Registration> {
    if (this.closed) throw new SidecarError('DRAINING', 'registry.register: the registry was shut down; create a new RedisRegistry');
    const normalised = toServiceInstance('registry.register(instance)', instance);
    if (this.registrations.has(normalised.id)) {
      throw new InvalidOptionsError(`registry.register(instance).id ${show(normalised.id)} is already registered; deregister it first`);
    }
    const registration = new RedisRegistration(this, normalised);
    this.registrations.set(normalised.id, registration);
    await registration.begin();
    return registration;
  }

  /**
   * Stops every heartbeat WITHOUT deleting the entries (they expire after `ttlMs`); call
   * `deregister()` first for a clean drain. The Redis client is left open (it is the caller's).
   */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const registration of this.registrations.values()) registration.stop();
    this.registrations.clear();
    this.redis.removeListener('error', this.onClientError);
  }

  /** @internal */
  reportError(instanceId: string, operation: RegistryErrorEvent['operation'], error: unknown): void {
    const wrapped = toDiscoveryError(error, `registry ${operation} of ${instanceId} failed`);
    this.errors.emit({ instanceId, operation, error: wrapped });
  }

  /** @internal */
  reportRegister(instance: ServiceInstance, reason: RegisterEvent['reason']): void {
    this.registers.emit({ instance, reason });
  }
}

/** One instance's registration (heartbeat loop). */
class RedisRegistration implements Registration {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private active = true;
  private confirmed = false;
  private everWritten = false;
  private draining: Promise<void> | undefined;
  private readonly keys: RegistryKeys;
  private readonly key: string;
  private readonly json: string;
  private readonly signed: ServiceInstance;

  constructor(
    private readonly registry: RedisRegistry,
    readonly instance: ServiceInstance,
  ) {
    this.keys = registryKeys(registry.prefix, instance.service);
    this.key = this.keys.instance(instance.id);
    this.signed = registry.signer?.signInstance(instance) ?? instance;
    this.json = JSON.stringify(this.signed);
  }

  get registered(): boolean {
    return this.confirmed;
  }

  /** First write (bounded wait) and heartbeat timer. */
  async begin(): Promise<void> {
    this.timer = setInterval(() => this.tick(), this.registry.heartbeatMs);
    this.timer.unref();
    this.inFlight = this.write().finally(() => (this.inFlight = undefined));
    try {
      await withTimeout(this.inFlight, this.registry.timeoutMs, `registry register of ${this.instance.id}`);
    } catch (error) {
      this.registry.reportError(this.instance.id, 'register', error);
    }
  }

  deregister(): Promise<void> {
    this.draining ??= this.remove();
    return this.draining;
  }

  /** Stops heartbeating without touching Redis. */
  stop(): void {
    this.active = false;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (!this.active || this.inFlight !== undefined) return; // never two operations at once
    this.inFlight = this.heartbeat().finally(() => (this.inFlight = undefined));
  }

  /** Writes the entry and announces it; errors are reported, never thrown. */
  private async write(): Promise<void> {
    try {
      const now = Date.now();
      const results = await this.registry.redis
        .multi()
        .set(this.key, this.json, 'PX', this.registry.ttlMs)
        .zadd(this.keys.index, now + this.registry.ttlMs, this.instance.id)
        .zremrangebyscore(this.keys.index, '-inf', now - this.registry.ttlMs)
        .publish(this.keys.events, JSON.stringify({ type: 'join', instance: this.signed }))
        .exec();
      throwIfFailed(results);
      if (!this.active) return;
      this.confirmed = true;
      this.registry.reportRegister(this.instance, this.everWritten ? 'recovered' : 'initial');
      this.everWritten = true;
    } catch (error) {
      this.confirmed = false;
      if (this.active) this.registry.reportError(this.instance.id, this.everWritten ? 'heartbeat' : 'register', error);
    }
  }

  /** Extends the TTL; writes the entry again when it is gone or no longer the one this instance wrote. */
  private async heartbeat(): Promise<void> {
    if (!this.everWritten) return this.write();
    let present: boolean;
    try {
      const now = Date.now();
      const results = await this.registry.redis
        .multi()
        .pexpire(this.key, this.registry.ttlMs)
        .zadd(this.keys.index, now + this.registry.ttlMs, this.instance.id)
        .zremrangebyscore(this.keys.index, '-inf', now - this.registry.ttlMs)
        .get(this.key)
        .exec();
      throwIfFailed(results);
      const replies = results as Array<[Error | null, unknown]>;
      // present AND still ours: an entry overwritten by someone else (resolvers would refuse it) is written again
      present = replies[0][1] === 1 && replies[3][1] === this.json;
    } catch (error) {
      this.confirmed = false;
      if (this.active) this.registry.reportError(this.instance.id, 'heartbeat', error);
      return;
    }
    if (present) {
      this.confirmed = true;
    } else if (this.active) {
      this.confirmed = false;
      await this.write();
    }
  }

  /** Stops heartbeating, then deletes the entry and announces the leave (bounded, never rejects). */
  private async remove(): Promise<void> {
    this.stop();
    if (this.registry.registrations.get(this.instance.id) === this) this.registry.registrations.delete(this.instance.id);
    const timeoutMs = this.registry.timeoutMs;
    try {
      if (this.inFlight !== undefined) await withTimeout(this.inFlight, timeoutMs, `registry heartbeat of ${this.instance.id}`);
      const { service, id, address } = this.instance;
      const sig = this.registry.signer?.signLeave(service, id, address);
      const leave = JSON.stringify({ type: 'leave', id, address, ...(sig === undefined ? {} : { sig }) });
      const results = await withTimeout(
        this.registry.redis.multi().del(this.key).zrem(this.keys.index, this.instance.id).publish(this.keys.events, leave).exec(),
        timeoutMs,
        `registry deregister of ${this.instance.id}`,
      );
      throwIfFailed(results);
      this.confirmed = false;
    } catch (error) {
      this.registry.reportError(this.instance.id, 'deregister', error);
    }
  }
}

/** Throws the first error of a MULTI/EXEC result (null means the transaction was discarded). */
function throwIfFailed(results: Array<[Error | null, unknown]> | null): void {
  if (results === null) throw new DiscoveryError('transaction discarded (EXEC returned null)');
  for (const [error] of results) if (error) throw error;
}
