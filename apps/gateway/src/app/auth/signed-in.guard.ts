import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { unauthenticated } from '../errors/api-error';
import type { GatewayRequest } from '../common/gateway-request';
import { SessionTokenService } from './session-token.service';

/**
 * The bearer token of a request: `undefined` when no Authorization header was sent.
 * @throws ApiError 401 when the header is not `Bearer <token>`.
 */
export function bearerTokenOf(request: Pick<GatewayRequest, 'headers'>): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined || header === '') return undefined;
  const match = /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(header);
  if (match === null) throw unauthenticated('the Authorization header must be "Bearer <token>" (sign in with POST /api/auth/sign-in)');
  return match[1];
}

/**
 * Requires a signed-in user (guards every write): a valid `Authorization: Bearer <token>`, else
 * 401 JSON with a `WWW-Authenticate` challenge. Sets `request.user`. Runs before the body is parsed
 * (guards precede interceptors), so an anonymous upload is refused without reading the image.
 */
@Injectable()
export class SignedInGuard implements CanActivate {
  /** @param tokens verifies tokens. */
  constructor(private readonly tokens: SessionTokenService) {}

  /** Verifies the token or throws 401. */
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    const token = bearerTokenOf(request);
    if (token === undefined) throw unauthenticated('sign in first: this action needs "Authorization: Bearer <token>" from POST /api/auth/sign-in');
    request.user = this.tokens.verify(token).user;
    return true;
  }
}
