import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ApiError } from '../errors/api-error';
import type { GatewayRequest, GatewayResponse } from '../common/gateway-request';
import { RateLimiterService } from './rate-limiter.service';

/**
 * Applies the per-user write limit (use after SignedInGuard, which sets `request.user`). Sets
 * `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds) on the response; beyond
 * the limit answers 429 `RATE_LIMITED` with `Retry-After`.
 */
@Injectable()
export class WriteRateLimitGuard implements CanActivate {
  /** @param limiter the shared per-user limiter. */
  constructor(private readonly limiter: RateLimiterService) {}

  /** Counts the write; throws 429 when over the limit. */
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<GatewayRequest>();
    const response = http.getResponse<GatewayResponse>();
    if (request.user === undefined) throw new Error('WriteRateLimitGuard needs SignedInGuard before it');
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
    return true;
  }
}
