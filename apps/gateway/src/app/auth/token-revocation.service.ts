import { Inject, Injectable } from '@nestjs/common';
import { STATE_REDIS } from '@failsoft/state/nest';
import type { RedisConnection } from '@failsoft/state';
import { LruCache } from '../common/lru.cache';
import { withinBudget } from '../common/redis-budget';

/** Key prefix of revoked token ids (`failsoft:revoked-token:<jti>`, expiring when the token would). */
export const REVOKED_TOKEN_KEY_PREFIX = 'failsoft:revoked-token:';
/** Longest wait for Redis on a revocation check, ms (a request never waits longer on a failing Redis). */
export const REVOCATION_BUDGET_MS = 150;
/**
 * Revoked ids remembered in this gateway's memory (checked first, and all there is while Redis is
 * away), shared by every instance of the service in the process (the app and the console module
 * each get one).
 */
const LOCAL_REVOKED = new LruCache<string, number>(10_000);

/**
 * Sign-out for stateless tokens: a signed-out token's id (`jti`) is written to Redis until the
 * token would have expired, so every gateway refuses it; this gateway also remembers it in memory.
 * Checks fail open on a Redis outage (fail-soft: a revoked token from another gateway may work
 * until Redis is back; tokens from this gateway never do).
 */
@Injectable()
export class TokenRevocationService {
  private readonly local = LOCAL_REVOKED;

  /** @param redis the failover-safe client of @failsoft/state. */
  constructor(@Inject(STATE_REDIS) private readonly redis: RedisConnection) {}

  /**
   * Revokes token `tokenId` until `expiresAtS` (seconds since the epoch).
   * @returns true when every gateway knows (Redis took it), false when only this one does.
   */
  async revoke(tokenId: string, expiresAtS: number, nowMs: number = Date.now()): Promise<boolean> {
    const ttlMs = Math.max(1000, expiresAtS * 1000 - nowMs);
    this.local.set(tokenId, expiresAtS);
    const reply = await withinBudget(this.redis, REVOCATION_BUDGET_MS * 4, (r) => r.set(`${REVOKED_TOKEN_KEY_PREFIX}${tokenId}`, '1', 'PX', ttlMs));
    return reply === 'OK';
  }

  /** True when `tokenId` was signed out (here, or anywhere when Redis answers in time). */
  async isRevoked(tokenId: string, nowMs: number = Date.now()): Promise<boolean> {
    const localExpiry = this.local.get(tokenId);
    if (localExpiry !== undefined && localExpiry * 1000 > nowMs) return true;
    const found = await withinBudget(this.redis, REVOCATION_BUDGET_MS, (r) => r.exists(`${REVOKED_TOKEN_KEY_PREFIX}${tokenId}`));
    return found === 1;
  }
}
