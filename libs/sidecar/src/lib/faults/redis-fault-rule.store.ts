import type { Redis } from 'ioredis';
import { EventEmitter, type Event } from '../core/event';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, show } from '../core/validate';
import { noopLogger, type Logger } from '../telemetry/logger';
import { validateFaultRule, type FaultRule, type FaultRuleInput } from './fault-rule';
import { FaultRules } from './fault-rules';
import type { FaultDecision, FaultSource } from './fault-source';

/** Options of {@link RedisFaultRuleStore}. */
export interface RedisFaultRuleStoreOptions {
  /** ioredis client used for commands (not closed by the store). */
  redis: Redis;
  /**
   * ioredis client used for SUBSCRIBE (not closed by the store). Default: `redis.duplicate()`,
   * created by `start()` and closed on shutdown.
   */
  subscriber?: Redis;
  /** Key prefix: rules live in the hash `<prefix>:rules`, changes go to channel `<prefix>:changed` (default `failsoft:faults`). */
  prefix?: string;
  /** Periodic reload interval in ms, a safety net for missed messages (default 5000). */
  refreshIntervalMs?: number;
  /** How long `start()` waits for the first load before resolving anyway (default 2000 ms). */
  startTimeoutMs?: number;
  /** Random source for the evaluator (default Math.random). */
  random?: () => number;
  /** Where to report Redis trouble (default: nowhere). */
  logger?: Logger;
}

/**
 * Fault rules shared through Redis, for the chaos CLI to set at runtime and every server to apply.
 * Rules are kept in a Redis hash; every change is published on a channel. Each process keeps a
 * local copy (a {@link FaultRules}): loaded by `start()`, reloaded on every published change and
 * every `refreshIntervalMs`. `decide()` and `list()` read only the local copy, so a call never
 * waits on Redis; when Redis is away the last rules stay in force (fail-static).
 */
export class RedisFaultRuleStore implements FaultSource {
  /** The Redis hash holding the rules. */
  readonly key: string;
  /** The channel announcing changes. */
  readonly channel: string;

  private readonly redis: Redis;
  private subscriber: Redis | undefined;
  private readonly ownsSubscriber: boolean;
  private readonly local: FaultRules;
  private readonly refreshIntervalMs: number;
  private readonly startTimeoutMs: number;
  private readonly logger: Logger;
  private readonly errors = new EventEmitter<Error>();
  private timer: NodeJS.Timeout | undefined;
  private starting: Promise<void> | undefined;
  private refreshing: Promise<boolean> | undefined;
  private dirty = false;
  private subscribed = false;
  private healthy = true;
  private stopped = false;
  private readonly onRedisError = (error: Error): void => this.report(error, 'redis connection error');
  private readonly onMessage = (channel: string): void => {
    if (channel === this.channel) void this.refresh();
  };
  private readonly onSubscriberReady = (): void => {
    if (this.starting === undefined || this.stopped) return;
    void this.subscribe().then(() => this.refresh());
  };

  /** Fires with the new rule list whenever the local copy changes. */
  readonly onChange: Event<readonly FaultRule[]>;
  /** Fires when Redis cannot be read or a stored rule is invalid (the last rules stay in force). */
  readonly onError: Event<Error> = this.errors.event;

  /** @throws InvalidOptionsError on bad options. */
  constructor(options: RedisFaultRuleStoreOptions) {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionsError(`faultStore options must be an object; got ${show(options)}`);
    if (!isRedis(options.redis)) throw new InvalidOptionsError(`faultStore.redis must be an ioredis client; got ${show(options.redis)}`);
    if (options.subscriber !== undefined && !isRedis(options.subscriber)) {
      throw new InvalidOptionsError(`faultStore.subscriber must be an ioredis client; got ${show(options.subscriber)}`);
    }
    const prefix = options.prefix ?? 'failsoft:faults';
    if (typeof prefix !== 'string' || prefix.trim() === '') throw new InvalidOptionsError(`faultStore.prefix must be a non-empty string; got ${show(prefix)}`);
    this.refreshIntervalMs = assertNumber('faultStore.refreshIntervalMs', options.refreshIntervalMs ?? 5000, 10, Infinity, true);
    this.startTimeoutMs = assertNumber('faultStore.startTimeoutMs', options.startTimeoutMs ?? 2000, 0, Infinity, true);
    this.key = `${prefix}:rules`;
    this.channel = `${prefix}:changed`;
    this.redis = options.redis;
    this.ownsSubscriber = options.subscriber === undefined;
    this.subscriber = options.subscriber;
    this.logger = options.logger ?? noopLogger;
    this.local = new FaultRules({ random: options.random });
    this.onChange = this.local.onChange;
    this.redis.on('error', this.onRedisError);
  }

  /**
   * Subscribes to changes, loads the rules and starts the periodic reload. Resolves after the first
   * load or `startTimeoutMs`, whichever comes first; never rejects because of Redis (the store
   * starts empty and keeps trying). Idempotent.
   */
  start(): Promise<void> {
    this.starting ??= (async () => {
      // the subscriber connection is opened here, so a store used only to write rules (the CLI) opens none
      const subscriber = (this.subscriber ??= this.redis.duplicate({ disconnectTimeout: 200 }));
      if (this.ownsSubscriber) subscriber.on('error', this.onRedisError);
      subscriber.on('message', this.onMessage);
      subscriber.on('ready', this.onSubscriberReady);
      this.timer = setInterval(() => void this.refresh(), this.refreshIntervalMs);
      this.timer.unref();
      let timeout: NodeJS.Timeout | undefined;
      const first = Promise.all([this.subscribe(), this.refresh()]);
      await Promise.race([first, new Promise<void>((resolve) => (timeout = setTimeout(resolve, this.startTimeoutMs)).unref())]);
      clearTimeout(timeout);
    })();
    return this.starting;
  }

  /** Adds or replaces (same id) a rule in Redis and announces it; returns it normalised. @throws InvalidOptionsError, Redis errors */
  async set(input: FaultRuleInput): Promise<FaultRule> {
    const rule = validateFaultRule(input);
    await this.exec(this.redis.multi().hset(this.key, rule.id, JSON.stringify(rule)).publish(this.channel, JSON.stringify({ op: 'set', id: rule.id })));
    if (!this.stopped) this.local.set(rule);
    return rule;
  }

  /** Removes the rule `id` from Redis and announces it; true when it existed. @throws Redis errors */
  async remove(id: string): Promise<boolean> {
    const results = await this.exec(this.redis.multi().hdel(this.key, id).publish(this.channel, JSON.stringify({ op: 'remove', id })));
    if (!this.stopped) this.local.remove(id);
    return results[0] === 1;
  }

  /** Removes every rule from Redis and announces it. @throws Redis errors */
  async clear(): Promise<void> {
    await this.exec(this.redis.multi().del(this.key).publish(this.channel, JSON.stringify({ op: 'clear' })));
    if (!this.stopped) this.local.clear();
  }

  /** The rules in force in this process (the local copy; expired rules left out). */
  list(): readonly FaultRule[] {
    return this.local.list();
  }

  /** What to inject into a call (local copy only; never touches Redis). */
  decide(service: string, method: string): FaultDecision | undefined {
    return this.local.decide(service, method);
  }

  /**
   * Reloads the rules from Redis now. Resolves true on success, false when Redis could not be read
   * (the last rules stay in force). Concurrent calls share one reload (plus one more if a change
   * arrived meanwhile).
   */
  refresh(): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    if (this.refreshing !== undefined) {
      this.dirty = true;
      return this.refreshing;
    }
    this.refreshing = this.load().finally(() => {
      this.refreshing = undefined;
      if (this.dirty && !this.stopped) {
        this.dirty = false;
        void this.refresh();
      }
    });
    return this.refreshing;
  }

  /** Stops the periodic reload, unsubscribes, closes the subscriber it created and removes its listeners. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    const subscriber = this.subscriber;
    if (subscriber !== undefined && this.starting !== undefined) {
      subscriber.off('message', this.onMessage);
      subscriber.off('ready', this.onSubscriberReady);
      if (this.ownsSubscriber) {
        // QUIT lets the server close the socket at once; disconnect() leaves a timer behind in ioredis
        if (subscriber.status === 'ready') await subscriber.quit().catch(() => subscriber.disconnect());
        else subscriber.disconnect();
        subscriber.off('error', this.onRedisError);
      } else if (this.subscribed) {
        await subscriber.unsubscribe(this.channel).catch(() => undefined);
      }
    }
    this.redis.off('error', this.onRedisError);
  }

  private async load(): Promise<boolean> {
    let hash: Record<string, string>;
    try {
      hash = await this.redis.hgetall(this.key);
    } catch (error) {
      this.report(error as Error, 'could not load fault rules from Redis; keeping the last rules');
      return false;
    }
    if (this.stopped) return false;
    const rules: FaultRule[] = [];
    for (const [id, text] of Object.entries(hash)) {
      try {
        rules.push(validateFaultRule(JSON.parse(text) as FaultRuleInput));
      } catch (error) {
        this.emitError(new Error(`ignoring invalid fault rule ${JSON.stringify(id)} in ${this.key}: ${(error as Error).message}`));
      }
    }
    rules.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.local.replaceAll(rules);
    if (!this.healthy) this.logger.info('fault rules reloaded from Redis', { rules: rules.length });
    this.healthy = true;
    return true;
  }

  private async subscribe(): Promise<void> {
    if (this.subscribed || this.stopped || this.subscriber === undefined) return;
    try {
      await this.subscriber.subscribe(this.channel);
      this.subscribed = true;
    } catch (error) {
      this.report(error as Error, 'could not subscribe to fault rule changes; will retry when Redis is back');
    }
  }

  private async exec(multi: ReturnType<Redis['multi']>): Promise<unknown[]> {
    const results = await multi.exec();
    if (results === null) throw new Error('fault rule transaction was aborted');
    return results.map(([error, value]) => {
      if (error) throw error;
      return value;
    });
  }

  private report(error: Error, message: string): void {
    if (this.healthy) this.logger.warn(message, { err: error });
    this.healthy = false;
    this.emitError(error);
  }

  private emitError(error: Error): void {
    this.errors.emit(error);
  }
}

function isRedis(value: unknown): value is Redis {
  return typeof value === 'object' && value !== null && typeof (value as Redis).hgetall === 'function' && typeof (value as Redis).duplicate === 'function';
}
