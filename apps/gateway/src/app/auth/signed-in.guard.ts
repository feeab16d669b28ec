import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { unauthenticated } from '../errors/api-error';
import type { GatewayRequest } from '../common/gateway-request';
import { SessionTokenService, type SessionClaims } from './session-token.service';
import { TokenRevocationService } from './token-revocation.service';

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
 * Verifies `token` (signature, expiry) and that it was not signed out.
 * @throws ApiError 401 `UNAUTHENTICATED` saying why.
 */
export async function verifySession(token: string, tokens: SessionTokenService, revocations: TokenRevocationService): Promise<SessionClaims> {
  const claims = tokens.verify(token);
  if (await revocations.isRevoked(claims.tokenId)) throw unauthenticated('this session was signed out; sign in again');
  return claims;
}

/**
 * Requires a signed-in user (guards every write): a valid, not signed-out `Authorization: Bearer
 * <token>`, else 401 JSON with a `WWW-Authenticate` challenge. Sets `request.user` and
 * `request.session`. Runs before the body is parsed (guards precede interceptors), so an anonymous
 * upload is refused without reading the image.
 */
@Injectable()
export class SignedInGuard implements CanActivate {
  /** @param tokens verifies tokens; @param revocations knows signed-out tokens. */
  constructor(
    private readonly tokens: SessionTokenService,
    private readonly revocations: TokenRevocationService,
  ) {}

  /** Verifies the token or throws 401. */
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    const token = bearerTokenOf(request);
    if (token === undefined) throw unauthenticated('sign in first: this action needs "Authorization: Bearer <token>" from POST /api/auth/sign-in');
    const claims = await verifySession(token, this.tokens, this.revocations);
    request.user = claims.user;
    request.session = claims;
    return true;
  }
}
