import { Inject, Injectable } from '@nestjs/common';
import { Sidecar } from '@failsoft/sidecar';
import { evalScript } from '@failsoft/state';
import { STATE_REDIS } from '@failsoft/state/nest';
import type { Redis } from 'ioredis';
import { GATEWAY_CONFIG } from '../gateway.constants';
import type { GatewayConfig } from '../gateway.config';

/** Outcome of one rate-limit check. */
export interface RateLimitDecision {
  /** False when the request must be refused with 429. */
  readonly allowed: boolean;
  /** Requests allowed per window. */
  readonly limit: number;
  /** Requests left in the current window (the limit when unknown). */
  readonly remaining: number;
  /** Time until the window resets, ms. */
  readonly resetMs: number;
  /** True when Redis could not be asked and the request was let through (fail open). */
  readonly failedOpen: boolean;
}

/**
 * Fixed window in one key: INCR, and set the expiry when the key has none (first hit of a window,
 * or a key that somehow lost it). Returns {count, ttl in ms}. One round trip, atomic.
 */
const FIXED_WINDOW_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

/** Key prefix of the per-user windows (docs/platform.md: `failsoft:ratelimit:{user}`). */
export const RATE_LIMIT_KEY_PREFIX = 'failsoft:ratelimit:';
/** Longest wait for Redis before letting the request through, ms. */
const REDIS_BUDGET_MS = 250;
/** At most one "failing open" log line per this many ms. */
const LOG_INTERVAL_MS = 10_000;

/**
 * Per-user write limits shared by every gateway: a fixed window per user in Redis
 * (`failsoft:ratelimit:<user>`, RATE_LIMIT_WRITES per RATE_LIMIT_WINDOW_MS), so a user gets the
 * same budget whichever gateway the front door picks. A fixed window may let up to twice the limit
 * through around a window boundary; that is fine for abuse protection and costs one key and one
 * round trip per write.
 *
 * Fails OPEN: when Redis is not connected (failover, outage) or does not answer within 250 ms the
 * request is allowed and a warning is logged (rate-limited). Rate limiting protects the platform;
 * it must never be the reason the platform stops serving.
 */
@Injectable()
export class RateLimiterService {
  private readonly limit: number;
  private readonly windowMs: number;
  private lastLogAt = -Infinity;

  /**
   * @param redis the failover-safe client of @failsoft/state.
   * @param sidecar for its structured logger.
   * @param config RATE_LIMIT_WRITES and RATE_LIMIT_WINDOW_MS.
   */
  constructor(
    @Inject(STATE_REDIS) private readonly redis: Redis,
    private readonly sidecar: Sidecar,
    @Inject(GATEWAY_CONFIG) config: Pick<GatewayConfig, 'RATE_LIMIT_WRITES' | 'RATE_LIMIT_WINDOW_MS'>,
  ) {
    this.limit = config.RATE_LIMIT_WRITES;
    this.windowMs = config.RATE_LIMIT_WINDOW_MS;
  }

  /** Counts one write of `user` and says whether it is allowed. Never throws. */
  async consume(user: string): Promise<RateLimitDecision> {
    if (this.redis.status !== 'ready') return this.failOpen(`redis connection is ${this.redis.status}`);
    let timer: NodeJS.Timeout | undefined;
    try {
      const reply = await Promise.race([
        evalScript<[number, number]>(this.redis, FIXED_WINDOW_SCRIPT, [`${RATE_LIMIT_KEY_PREFIX}${user}`], [this.windowMs]),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${REDIS_BUDGET_MS} ms`)), REDIS_BUDGET_MS);
        }),
      ]);
      const count = Number(reply[0]);
      const ttl = Number(reply[1]);
      if (!Number.isFinite(count) || !Number.isFinite(ttl)) return this.failOpen('unexpected reply from the rate-limit script');
      return { allowed: count <= this.limit, limit: this.limit, remaining: Math.max(0, this.limit - count), resetMs: Math.max(0, ttl), failedOpen: false };
    } catch (error) {
      return this.failOpen(error instanceof Error ? error.message : String(error));
    } finally {
      clearTimeout(timer);
    }
  }

  private failOpen(reason: string): RateLimitDecision {
    const now = Date.now();
    if (now - this.lastLogAt >= LOG_INTERVAL_MS) {
      this.lastLogAt = now;
      this.sidecar.logger.warn('rate limiting unavailable; allowing requests (fail open)', { reason });
    }
    return { allowed: true, limit: this.limit, remaining: this.limit, resetMs: this.windowMs, failedOpen: true };
  }
}
