import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { GatewayRequest } from '../common/gateway-request';
import { SessionTokenService } from './session-token.service';
import { bearerTokenOf } from './signed-in.guard';

/**
 * For reads that work anonymously but are personalised for a signed-in viewer (feed, post):
 * without a token the request goes on anonymously; a token that is sent must be valid (401
 * otherwise, so a client notices an expired session instead of silently losing personalisation).
 */
@Injectable()
export class ViewerGuard implements CanActivate {
  /** @param tokens verifies tokens. */
  constructor(private readonly tokens: SessionTokenService) {}

  /** Verifies the token when present. */
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    const token = bearerTokenOf(request);
    if (token !== undefined) request.user = this.tokens.verify(token).user;
    return true;
  }
}
