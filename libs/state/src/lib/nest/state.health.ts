import type { RedisConnection } from '../client/redis-connection';
import { assertInteger, assertKnownKeys, assertObject } from '../validate';

/** Options of {@link RedisHealthIndicator}. */
export interface RedisHealthOptions {
  /** Give up after this many ms and report `down` (default 1000). */
  timeoutMs?: number;
}

/** Health of the Redis connection. */
export interface RedisHealth {
  /** `up` when the server answered PING and ROLE in time. */
  status: 'up' | 'down';
  /** `master` or `slave` (as the server says) when up. */
  role?: string;
  /** Round trip of PING + ROLE in ms when up. */
  latencyMs?: number;
  /** Why it is down. */
  error?: string;
}

/**
 * Health indicator of the state library's Redis connection, shaped like @nestjs/terminus results
 * (`{ redis: { status: 'up', role: 'master', latencyMs: 0.4 } }`) without depending on terminus.
 * Never throws: a broken or slow connection is reported as `down` with the reason, at once when the
 * client is not connected (no waiting on the offline queue).
 */
export class RedisHealthIndicator {
  private readonly timeoutMs: number;

  /** @param client the Redis client to check; @param options see {@link RedisHealthOptions}. */
  constructor(
    readonly client: RedisConnection,
    options: RedisHealthOptions = {},
  ) {
    const o = assertObject('health', options);
    assertKnownKeys('health', o, ['timeoutMs']);
    this.timeoutMs = assertInteger('health.timeoutMs', o['timeoutMs'] ?? 1000, 1);
  }

  /**
   * True when the connection answers (a readiness check: `readinessChecks: { redis: () => health.isUp() }`
   * in the sidecar's options).
   */
  async isUp(): Promise<boolean> {
    return (await this.check('redis')).redis.status === 'up';
  }

  /** Checks the connection; the result is keyed by `key` (default `redis`). */
  async check<K extends string = 'redis'>(key: K = 'redis' as K): Promise<Record<K, RedisHealth>> {
    const result = (health: RedisHealth) => ({ [key]: health }) as Record<K, RedisHealth>;
    if (this.client.status !== 'ready') return result({ status: 'down', error: `not connected (connection ${this.client.status})` });
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const replies = await Promise.race([
        this.client.pipeline().ping().role().exec(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
          timer.unref();
        }),
      ]);
      const failed = replies?.find(([error]) => error);
      if (failed?.[0]) return result({ status: 'down', error: failed[0].message });
      const role = replies?.[1]?.[1] as unknown[] | undefined;
      return result({ status: 'up', role: String(role?.[0] ?? 'unknown'), latencyMs: Math.round((performance.now() - started) * 100) / 100 });
    } catch (error) {
      return result({ status: 'down', error: error instanceof Error ? error.message : String(error) });
    } finally {
      clearTimeout(timer);
    }
  }
}
