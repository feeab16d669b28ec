import { Injectable } from '@nestjs/common';
import { ApiError } from '../errors/api-error';
import { fromTrustedProxy } from '../common/client-ip';
import type { GatewayRequest, GatewayResponse } from '../common/gateway-request';
import { RateLimiterService } from './rate-limiter.service';

/** The header in which the front door sends its id of the request (HAProxy `unique-id-format`), lower-cased. */
export const REQUEST_ID_HEADER = 'x-request-id';
/** What a request id may look like (HAProxy's ids: hex, digits, `:` `_` `.` `-`). */
const REQUEST_ID = /^[A-Za-z0-9:._-]{8,128}$/;

/** The front door's id of `request`, when it came through the front door and has a well-formed one. */
export function frontDoorRequestId(request: Pick<GatewayRequest, 'headers' | 'socket'>): string | undefined {
  if (!fromTrustedProxy(request)) return undefined;
  const value = request.headers[REQUEST_ID_HEADER];
  return typeof value === 'string' && REQUEST_ID.test(value) ? value : undefined;
}

/**
 * The per-user write limit, charged by a write's handler once the request's input is known to be
 * valid (an invalid request is answered 4xx and spends nothing of the user's budget). Sets
 * `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds) on the response; beyond
 * the limit answers 429 `RATE_LIMITED` with `Retry-After`.
 *
 * A request the front door retried on another gateway (after a 503, a refused connection or no
 * answer) carries the same {@link REQUEST_ID_HEADER} on every attempt and is counted once. The
 * header is believed only from a proxy of the platform (the front door overwrites any the client
 * sent); from anyone else it is ignored and every attempt counts.
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
    const decision = await this.limiter.consume(request.user, undefined, frontDoorRequestId(request));
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
