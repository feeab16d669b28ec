import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { GatewayRequest } from '../common/gateway-request';
import { SessionTokenService } from './session-token.service';
import { bearerTokenOf, verifySession } from './signed-in.guard';
import { TokenRevocationService } from './token-revocation.service';

/**
 * For reads that work anonymously but are personalised for a signed-in viewer (feed, post):
 * without a token the request goes on anonymously; a token that is sent must be valid (401
 * otherwise, so a client notices an expired or signed-out session instead of silently losing
 * personalisation).
 */
@Injectable()
export class ViewerGuard implements CanActivate {
  /** @param tokens verifies tokens; @param revocations knows signed-out tokens. */
  constructor(
    private readonly tokens: SessionTokenService,
    private readonly revocations: TokenRevocationService,
  ) {}

  /** Verifies the token when present. */
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    const token = bearerTokenOf(request);
    if (token !== undefined) {
      const claims = await verifySession(token, this.tokens, this.revocations);
      request.user = claims.user;
      request.session = claims;
    }
    return true;
  }
}
