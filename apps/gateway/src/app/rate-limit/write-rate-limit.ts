import { Injectable } from '@nestjs/common';
import { ApiError } from '../errors/api-error';
import type { GatewayRequest, GatewayResponse } from '../common/gateway-request';
import { RateLimiterService } from './rate-limiter.service';

/**
 * The per-user write limit, charged by a write's handler once the request's input is known to be
 * valid (an invalid request is answered 4xx and spends nothing of the user's budget). Sets
 * `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds) on the response; beyond
 * the limit answers 429 `RATE_LIMITED` with `Retry-After`.
 */
@Injectable()
export class WriteRateLimit {
  /** @param limiter the shared per-user limiter. */
  constructor(private readonly limiter: RateLimiterService) {}

  /**
   * Counts one write of the signed-in user (SignedInGuard sets `request.user`).
   * @throws ApiError 429 `RATE_LIMITED` when over the limit.
   */
  async charge(request: GatewayRequest, response: GatewayResponse): Promise<void> {
    if (request.user === undefined) throw new Error('WriteRateLimit needs SignedInGuard before it');
    const decision = await this.limiter.consume(request.user);
    const resetS = Math.max(1, Math.ceil(decision.resetMs / 1000));
    response.setHeader('RateLimit-Limit', String(decision.limit));
    response.setHeader('RateLimit-Remaining', String(decision.remaining));
    response.setHeader('RateLimit-Reset', String(resetS));
    if (!decision.allowed) {
      throw new ApiError(429, 'RATE_LIMITED', `too many writes: at most ${decision.limit} per window; try again in ${resetS} s`, {
        headers: { 'Retry-After': String(resetS) },
        details: { retryAfterSeconds: resetS },
      });
    }
  }
}
