import type { Redis } from 'ioredis';
import { EventEmitter, type Event } from '../core/event';
import type { ServiceInstance } from '../core/instance';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, assertObject, assertString, show } from '../core/validate';
import { DEFAULT_REGISTRY_PREFIX, registryKeys, type RegistryKeys } from './redis.registry';
import { RefreshingResolver } from './refreshing.resolver';
import { SIGNATURE_FIELD, type RegistrySigner } from './registry-signature';
import { assertServiceName, toServiceInstance } from './service-instance';

/** Options of a RedisResolver. */
export interface RedisResolverOptions {
  /** The ioredis client to read with (e.g. a Sentinel client); owned by the caller, never closed here. */
  readonly redis: Redis;
  /** The service to track. */
  readonly service: string;
  /** Key prefix, as given to the RedisRegistry (default `failsoft:registry`). */
  readonly prefix?: string;
  /** Period of the full reload (catches expiries and missed events), integer ms >= 50 (default 3000). */
  readonly refreshMs?: number;
  /** Bound of one reload (and of `start()`) in ms; past it the view is marked stale (default 2000). */
  readonly timeoutMs?: number;
  /** Subscribe to join/leave events on a `duplicate()` of the client for instant updates (default true). */
  readonly subscribe?: boolean;
  /**
   * When a reload suddenly lists no instance at all while the view has some and no leave event
   * explains it (Redis restarted empty, failover to a replica that missed the entries), keep the
   * last view (`stale = true`) for up to this many ms so the instances can heartbeat themselves
   * back in (default 10000; keep it above the registry's heartbeatMs; 0 disables). Instances that
   * expire one by one are removed at once; only a sudden empty listing is held.
   */
  readonly emptyGraceMs?: number;
  /**
   * Accept only entries and join/leave events signed under the services' shared discovery key
   * (the registry's `signer`); unsigned or badly signed ones are ignored, counted in
   * `rejectedEntries` and reported once per instance id. Without it every well-formed entry is used.
   */
  readonly signer?: RegistrySigner;
}

/**
 * Tracks one service's live instances from a RedisRegistry (layout documented there): a full
 * reload (`ZRANGE` index + `MGET` entries) at start and every `refreshMs`, plus join/leave events
 * on a subscriber connection (a `duplicate()` of the client) applied at once. The view is local:
 * `instances()` never waits on Redis. When Redis is unreachable the last view is kept and
 * `stale` is true (fail-static); it recovers by itself when Redis is back. A reload that suddenly
 * lists nothing (Redis came back empty) is distrusted for `emptyGraceMs` so a request never
 * finds an empty view just because the registry lost its data.
 */
export class RedisResolver extends RefreshingResolver {
  /** The key prefix. */
  readonly prefix: string;
  private readonly redis: Redis;
  private readonly keys: RegistryKeys;
  private readonly subscribe: boolean;
  private subscriber: Redis | undefined;
  private subscribed = false;
  private readonly signer: RegistrySigner | undefined;
  private rejected = 0;
  private readonly reportedRejections = new Set<string>();
  private readonly rejections = new EventEmitter<string>();

  /** Fires once per instance id whose entry or event was refused for its signature (the message says which and where). */
  readonly onRejectedEntry: Event<string> = this.rejections.event;
  private readonly onClientError = (): void => {
    // the client reconnects by itself; failures surface as failed reloads (onError, stale)
  };

  /** @throws InvalidOptionsError naming the bad option and value. */
  constructor(options: RedisResolverOptions) {
    assertObject('redis resolver options', options);
    const service = assertServiceName('redisResolver.service', options.service);
    const refreshMs = assertNumber('redisResolver.refreshMs', options.refreshMs ?? 3_000, 50, 86_400_000, true);
    const timeoutMs = assertNumber('redisResolver.timeoutMs', options.timeoutMs ?? 2_000, 1, 600_000, true);
    const emptyGraceMs = assertNumber('redisResolver.emptyGraceMs', options.emptyGraceMs ?? 10_000, 0, 86_400_000, true);
    super(service, refreshMs, timeoutMs, 'redis', emptyGraceMs);
    const redis = options.redis as unknown as Record<string, unknown> | undefined;
    if (typeof redis !== 'object' || redis === null || typeof redis['duplicate'] !== 'function' || typeof redis['mget'] !== 'function') {
      throw new InvalidOptionsError(`redisResolver.redis must be an ioredis client (new Redis(...)); got ${show(options.redis)}`);
    }
    this.redis = options.redis;
    this.prefix = assertString('redisResolver.prefix', options.prefix ?? DEFAULT_REGISTRY_PREFIX);
    this.subscribe = options.subscribe ?? true;
    if (typeof this.subscribe !== 'boolean') throw new InvalidOptionsError(`redisResolver.subscribe must be a boolean; got ${show(options.subscribe)}`);
    this.keys = registryKeys(this.prefix, service);
    if (options.signer !== undefined && typeof (options.signer as { verifyInstance?: unknown }).verifyInstance !== 'function') {
      throw new InvalidOptionsError(`redisResolver.signer must be a RegistrySigner; got ${show(options.signer)}`);
    }
    this.signer = options.signer;
  }

  /** Entries and events ignored so far because they were unsigned or badly signed (with a signer). */
  get rejectedEntries(): number {
    return this.rejected;
  }

  /** Subscribes to join/leave events (own connection, own error listener). */
  protected override onStart(): void {
    this.redis.on('error', this.onClientError);
    if (!this.subscribe) return;
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    // connection errors while Redis is down surface as failed reloads (onError, stale): keep quiet here
    subscriber.on('error', () => undefined);
    subscriber.on('message', (_channel: string, message: string) => this.onEvent(message));
    subscriber.on('close', () => {
      if (!this.closed) this.setStale(true); // events may be missed from now on
    });
    subscriber.on('ready', () => {
      if (this.closed) return;
      if (!this.subscribed) this.subscribeEvents(subscriber); // the first attempt failed while Redis was down
      void this.refresh(); // (re)connected: catch up on anything missed
    });
    this.subscribeEvents(subscriber);
  }

  private subscribeEvents(subscriber: Redis): void {
    subscriber.subscribe(this.keys.events).then(
      () => (this.subscribed = true), // from now on ioredis re-subscribes by itself after reconnects
      (error: unknown) => this.markUnavailable(error, 'subscribe failed'),
    );
  }

  /** Closes the subscriber connection (waits for it, bounded by timeoutMs) and detaches from the client. */
  protected override async onShutdown(): Promise<void> {
    this.redis.removeListener('error', this.onClientError);
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (subscriber === undefined) return;
    subscriber.removeAllListeners('message');
    if (subscriber.status !== 'ready' && subscriber.status !== 'connect' && subscriber.status !== 'connecting') {
      subscriber.disconnect(false); // not connected (e.g. Redis down): nothing to wait for
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.timeoutMs);
      timer.unref();
      subscriber.once('end', () => {
        clearTimeout(timer);
        resolve();
      });
      subscriber.disconnect(false);
    });
  }

  /** Full reload: every id in the index whose entry has not expired. */
  protected async load(): Promise<readonly ServiceInstance[]> {
    const ids = await this.redis.zrange(this.keys.index, 0, -1);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => this.keys.instance(id)));
    const out: ServiceInstance[] = [];
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value === null) continue; // expired: the instance stopped heartbeating
      const instance = this.parse(value, ids[i]);
      if (instance !== undefined) out.push(instance);
    }
    return out;
  }

  private onEvent(message: string): void {
    let event: { type?: unknown; instance?: unknown; id?: unknown };
    try {
      event = JSON.parse(message) as typeof event;
    } catch (error) {
      this.reportProblem(error, `unparseable registry event ${show(message)}`);
      return;
    }
    if (event.type === 'join') {
      const instance = this.parse(event.instance);
      if (instance === undefined) return;
      this.applyChange((view) => [...view.filter((i) => i.id !== instance.id), instance]);
    } else if (event.type === 'leave' && typeof event.id === 'string') {
      const id = event.id;
      const signed = event as { address?: unknown; [SIGNATURE_FIELD]?: unknown };
      if (this.signer && !this.signer.verifyLeave(this.service, id, String(signed.address), signed[SIGNATURE_FIELD])) {
        this.reject(`leave:${id}`, `ignored an unsigned or badly signed leave event for ${show(id)}`);
        return;
      }
      this.applyChange((view) => (view.some((i) => i.id === id) ? view.filter((i) => i.id !== id) : view));
    } else {
      this.reportProblem(undefined, `unknown registry event ${show(message)}`);
    }
  }

  /** Counts an entry refused for its signature; reports it once per id (a fake entry is read every refresh). */
  private reject(id: string, message: string): void {
    this.rejected += 1;
    if (this.reportedRejections.has(id)) return;
    if (this.reportedRejections.size < 1000) this.reportedRejections.add(id);
    this.reportProblem(undefined, message);
    if (!this.closed) this.rejections.emit(`redis resolver for "${this.service}": ${message}`);
  }

  /** Parses and validates one entry; bad entries are skipped and reported. */
  private parse(value: unknown, expectedId?: string): ServiceInstance | undefined {
    try {
      const raw: unknown = typeof value === 'string' ? JSON.parse(value) : value;
      const instance = toServiceInstance('registry entry', raw);
      if (instance.service !== this.service || (expectedId !== undefined && instance.id !== expectedId)) return undefined;
      if (this.signer && !this.signer.verifyInstance(instance, (raw as Record<string, unknown>)[SIGNATURE_FIELD])) {
        this.reject(instance.id, `ignored the unsigned or badly signed entry ${show(instance.id)} at ${instance.address} (not written by a holder of the discovery key)`);
        return undefined;
      }
      return instance;
    } catch (error) {
      this.reportProblem(error, `invalid registry entry ${show(value)}`);
      return undefined;
    }
  }
}
