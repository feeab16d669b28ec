import { Inject, Injectable } from '@nestjs/common';
import { evalScript, type RedisConnection } from '@failsoft/state';
import { STATE_REDIS } from '@failsoft/state/nest';
import { ApiError } from '../errors/api-error';
import { withinBudget } from '../common/redis-budget';
import { FIXED_WINDOW_SCRIPT } from '../rate-limit/rate-limiter.service';
import { GATEWAY_CONFIG } from '../gateway.constants';
import type { GatewayConfig } from '../gateway.config';

/** Key prefix of the failed sign-in counters (`failsoft:signin-fail:user:<u>`, `...:ip:<ip>`). */
export const SIGN_IN_FAIL_KEY_PREFIX = 'failsoft:signin-fail:';
const BUDGET_MS = 150;
/** Counters kept in memory at most (per key kind), for when Redis is away. */
const LOCAL_MAX_KEYS = 10_000;


interface Window {
  count: number;
  resetAt: number;
}

/**
 * Sign-in throttling: failed sign-ins are counted per user and per client IP in a fixed window
 * (SIGN_IN_MAX_FAILURES_PER_USER, SIGN_IN_MAX_FAILURES_PER_IP per SIGN_IN_WINDOW_MS), shared by
 * every gateway through Redis and also kept in this gateway's memory (so an outage of Redis does
 * not switch throttling off). Beyond either limit every sign-in, right or wrong, answers 429
 * `RATE_LIMITED` with `Retry-After` until the window ends: guessing the password costs time.
 */
@Injectable()
export class SignInThrottleService {
  private readonly local = new Map<string, Window>();
  private readonly perUser: number;
  private readonly perIp: number;
  private readonly windowMs: number;

  /** @param redis shared counters; @param config the limits. */
  constructor(
    @Inject(STATE_REDIS) private readonly redis: RedisConnection,
    @Inject(GATEWAY_CONFIG) config: Pick<GatewayConfig, 'SIGN_IN_MAX_FAILURES_PER_USER' | 'SIGN_IN_MAX_FAILURES_PER_IP' | 'SIGN_IN_WINDOW_MS'>,
  ) {
    this.perUser = config.SIGN_IN_MAX_FAILURES_PER_USER;
    this.perIp = config.SIGN_IN_MAX_FAILURES_PER_IP;
    this.windowMs = config.SIGN_IN_WINDOW_MS;
  }

  /**
   * Refuses a sign-in of `user` from `ip` while either has too many recent failures.
   * @throws ApiError 429 `RATE_LIMITED` with `Retry-After`.
   */
  async check(user: string, ip: string, nowMs: number = Date.now()): Promise<void> {
    const keys = this.keys(user, ip);
    const shared = await withinBudget(this.redis, BUDGET_MS, (r) => Promise.all([r.get(keys[0]), r.pttl(keys[0]), r.get(keys[1]), r.pttl(keys[1])]));
    const counts = keys.map((key, i) => {
      const local = this.localWindow(key, nowMs);
      const remote = shared === undefined ? 0 : Number(shared[i * 2] ?? 0);
      const remoteTtl = shared === undefined ? 0 : Number(shared[i * 2 + 1]);
      return { count: Math.max(local?.count ?? 0, remote), resetMs: Math.max(local === undefined ? 0 : local.resetAt - nowMs, remoteTtl > 0 ? remoteTtl : 0) };
    });
    const limits = [this.perUser, this.perIp];
    const over = counts.findIndex((c, i) => c.count >= limits[i]);
    if (over === -1) return;
    const seconds = Math.max(1, Math.ceil(counts[over].resetMs / 1000));
    const who = over === 0 ? `user "${user}"` : 'this address';
    throw new ApiError(429, 'RATE_LIMITED', `too many failed sign-ins for ${who} (at most ${limits[over]} per ${Math.round(this.windowMs / 1000)} s); try again in ${seconds} s`, {
      headers: { 'Retry-After': String(seconds) },
      details: { retryAfterSeconds: seconds },
    });
  }

  /** Counts one failed sign-in of `user` from `ip` (here and in Redis). Never throws. */
  async failed(user: string, ip: string, nowMs: number = Date.now()): Promise<void> {
    const keys = this.keys(user, ip);
    for (const key of keys) {
      const window = this.localWindow(key, nowMs) ?? { count: 0, resetAt: nowMs + this.windowMs };
      window.count += 1;
      this.local.delete(key);
      this.local.set(key, window);
    }
    while (this.local.size > LOCAL_MAX_KEYS * 2) this.local.delete(this.local.keys().next().value as string);
    await withinBudget(this.redis, BUDGET_MS, (r) => Promise.all(keys.map((key) => evalScript<[number, number]>(r, FIXED_WINDOW_SCRIPT, [key], [this.windowMs]))));
  }

  private keys(user: string, ip: string): [string, string] {
    return [`${SIGN_IN_FAIL_KEY_PREFIX}user:${user.slice(0, 64)}`, `${SIGN_IN_FAIL_KEY_PREFIX}ip:${ip.slice(0, 64)}`];
  }

  private localWindow(key: string, nowMs: number): Window | undefined {
    const window = this.local.get(key);
    if (window === undefined) return undefined;
    if (window.resetAt <= nowMs) {
      this.local.delete(key);
      return undefined;
    }
    return window;
  }
}
