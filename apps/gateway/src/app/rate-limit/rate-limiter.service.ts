import { Inject, Injectable } from '@nestjs/common';
import { Sidecar } from '@failsoft/sidecar';
import { evalScript, type RedisConnection } from '@failsoft/state';
import { STATE_REDIS } from '@failsoft/state/nest';
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
  /**
   * True when this was a repeat of a request already counted (same front-door request id: the front
   * door retried it on another gateway): nothing was counted, the decision is the first attempt's.
   */
  readonly repeat: boolean;
}

/**
 * Fixed window in one key: INCR, and set the expiry when the key has none (first hit of a window,
 * or a key that somehow lost it). With a second key (a hash: the attempts `n` of one front-door
 * request id and the count `c` its first attempt got), a repeat of that request (attempt 2 to
 * ARGV[2]) counts nothing and gets the first attempt's count, so the same decision even when other
 * writes came in between; the first attempt and any beyond ARGV[2] count as usual. The hash lives
 * ARGV[3] ms. Returns {count, ttl in ms, repeat 0|1}. One round trip, atomic.
 */
export const FIXED_WINDOW_SCRIPT = `
if KEYS[2] then
  local attempt = redis.call('HINCRBY', KEYS[2], 'n', 1)
  if attempt == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
  if attempt > 1 and attempt <= tonumber(ARGV[2]) then
    local first = tonumber(redis.call('HGET', KEYS[2], 'c') or '0')
    local left = redis.call('PTTL', KEYS[1])
    if left < 0 then left = tonumber(ARGV[1]) end
    return {first, left, 1}
  end
end
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
if KEYS[2] then redis.call('HSET', KEYS[2], 'c', count) end
return {count, ttl, 0}
`;

/** Key prefix of the per-user windows (docs/platform.md: `failsoft:ratelimit:{user}`). */
export const RATE_LIMIT_KEY_PREFIX = 'failsoft:ratelimit:';
/** Key prefix of the attempts of one front-door request (`failsoft:ratelimit-attempts:{user}:{request id}`). */
export const RATE_LIMIT_ATTEMPTS_PREFIX = 'failsoft:ratelimit-attempts:';
/**
 * Attempts of one front-door request that count once: the first and the front door's retries on
 * another gateway (`retries 2` in the HAProxy configs: at most 3 attempts). A fourth attempt with
 * the same id is counted again, so a reused id buys at most this many writes for one unit.
 */
export const FRONT_DOOR_ATTEMPTS = 3;
/** How long the attempts of a request id are remembered, ms: beyond the front door's longest retry chain (3 x 10 s server timeout + queue). */
export const REQUEST_ID_TTL_MS = 60_000;
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
 * Honest retries: the front door retries a write that got a 503 (or no answer) on the other
 * gateway, up to twice. With the front door's request id the retries count once (docs/platform.md,
 * "Honest retries"), so an outage never eats a user's allowance and ends in a 429.
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
    @Inject(STATE_REDIS) private readonly redis: RedisConnection,
    private readonly sidecar: Sidecar,
    @Inject(GATEWAY_CONFIG) config: Pick<GatewayConfig, 'RATE_LIMIT_WRITES' | 'RATE_LIMIT_WINDOW_MS'>,
  ) {
    this.limit = config.RATE_LIMIT_WRITES;
    this.windowMs = config.RATE_LIMIT_WINDOW_MS;
  }

  /**
   * Counts one write of `user` and says whether it is allowed. Never throws.
   * @param budget another limit than the write limit (its own key space, e.g. `console:<user>`).
   * @param requestId the front door's id of the request (trusted only from the front door: see
   *   WriteRateLimit): its retries on other gateways count once, with the first attempt's decision.
   */
  async consume(user: string, budget: { readonly limit: number; readonly windowMs: number } = { limit: this.limit, windowMs: this.windowMs }, requestId?: string): Promise<RateLimitDecision> {
    const { limit, windowMs } = budget;
    if (this.redis.status !== 'ready') return this.failOpen(`redis connection is ${this.redis.status}`, budget);
    let timer: NodeJS.Timeout | undefined;
    const keys = [`${RATE_LIMIT_KEY_PREFIX}${user}`];
    if (requestId !== undefined) keys.push(`${RATE_LIMIT_ATTEMPTS_PREFIX}${user}:${requestId}`);
    try {
      const reply = await Promise.race([
        evalScript<[number, number, number]>(this.redis, FIXED_WINDOW_SCRIPT, keys, [windowMs, FRONT_DOOR_ATTEMPTS, REQUEST_ID_TTL_MS]),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${REDIS_BUDGET_MS} ms`)), REDIS_BUDGET_MS);
        }),
      ]);
      const count = Number(reply[0]);
      const ttl = Number(reply[1]);
      if (!Number.isFinite(count) || !Number.isFinite(ttl)) return this.failOpen('unexpected reply from the rate-limit script', budget);
      return { allowed: count <= limit, limit, remaining: Math.max(0, limit - count), resetMs: Math.max(0, ttl), failedOpen: false, repeat: Number(reply[2]) === 1 };
    } catch (error) {
      return this.failOpen(error instanceof Error ? error.message : String(error), budget);
    } finally {
      clearTimeout(timer);
    }
  }

  private failOpen(reason: string, budget: { readonly limit: number; readonly windowMs: number }): RateLimitDecision {
    const now = Date.now();
    if (now - this.lastLogAt >= LOG_INTERVAL_MS) {
      this.lastLogAt = now;
      this.sidecar.logger.warn('rate limiting unavailable; allowing requests (fail open)', { reason });
    }
    return { allowed: true, limit: budget.limit, remaining: budget.limit, resetMs: budget.windowMs, failedOpen: true, repeat: false };
  }
}
