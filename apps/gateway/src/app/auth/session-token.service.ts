import { Inject, Injectable } from '@nestjs/common';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { unauthenticated } from '../errors/api-error';
import { GATEWAY_CONFIG } from '../gateway.constants';
import type { GatewayConfig } from '../gateway.config';
import { isKnownUser, type KnownUser } from './demo-users';

/** A signed session token and when it expires. */
export interface IssuedToken {
  /** The token, sent back as `Authorization: Bearer <token>`. */
  readonly token: string;
  /** Expiry, seconds since the Unix epoch. */
  readonly expiresAtS: number;
  /** The token's id (`jti`): signing out revokes this id until the token would have expired. */
  readonly tokenId: string;
}

/** The verified content of a token. */
export interface SessionClaims {
  /** The signed-in user. */
  readonly user: KnownUser;
  /** Expiry, seconds since the Unix epoch. */
  readonly expiresAtS: number;
  /** The token's id (`jti`, 22 base64url characters). */
  readonly tokenId: string;
}

/** Issuer claim of every token. */
const ISSUER = 'failsoft-gateway';
/** The only header accepted: pinning it rules out `alg: none` and algorithm-confusion tricks. */
const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
/** Longest token considered at all (a real one is about 200 characters). */
const MAX_TOKEN_LENGTH = 2048;
/** Tolerated clock skew between gateways for `iat`, seconds. */
const CLOCK_SKEW_S = 60;
const SEGMENT = /^[A-Za-z0-9_-]+$/;
/** A token id: 16 random bytes, base64url. */
const TOKEN_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * Issues and verifies session tokens: JWT-shaped (`header.payload.signature`, base64url), signed
 * with HMAC-SHA256 and AUTH_SECRET (`node:crypto`), carrying `sub` (the user), `iat`, `exp` and
 * `iss` and `jti` (a random token id). Stateless: any gateway with the same secret verifies any
 * other's tokens, so the front door may send a user anywhere; sign-out revokes the token id
 * (TokenRevocationService). Verification compares signatures in constant
 * time and never trusts the header (it must be exactly HS256/JWT).
 */
@Injectable()
export class SessionTokenService {
  private readonly secret: Buffer;
  private readonly ttlS: number;

  /** @param config AUTH_SECRET (key) and AUTH_TOKEN_TTL_S (lifetime). */
  constructor(@Inject(GATEWAY_CONFIG) config: Pick<GatewayConfig, 'AUTH_SECRET' | 'AUTH_TOKEN_TTL_S'>) {
    this.secret = Buffer.from(config.AUTH_SECRET, 'utf8');
    this.ttlS = config.AUTH_TOKEN_TTL_S;
  }

  /** Signs a token for `user`, valid for AUTH_TOKEN_TTL_S from `nowMs`. */
  issue(user: KnownUser, nowMs: number = Date.now()): IssuedToken {
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + this.ttlS;
    const jti = randomBytes(16).toString('base64url');
    const payload = base64url(JSON.stringify({ sub: user, iat, exp, iss: ISSUER, jti }));
    return { token: `${HEADER}.${payload}.${this.sign(`${HEADER}.${payload}`)}`, expiresAtS: exp, tokenId: jti };
  }

  /**
   * Verifies `token` and returns its claims.
   * @throws ApiError 401 `UNAUTHENTICATED` saying what is wrong (malformed, bad signature, expired).
   */
  verify(token: string, nowMs: number = Date.now()): SessionClaims {
    if (token.length > MAX_TOKEN_LENGTH) throw unauthenticated('the session token is malformed; sign in again');
    const parts = token.split('.');
    if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) throw unauthenticated('the session token is malformed; sign in again');
    const [header, payload, signature] = parts;
    const expected = Buffer.from(this.sign(`${header}.${payload}`), 'utf8');
    const given = Buffer.from(signature, 'utf8');
    if (header !== HEADER || expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw unauthenticated('the session token is not valid (bad signature); sign in again');
    }
    let claims: { sub?: unknown; iat?: unknown; exp?: unknown; iss?: unknown; jti?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      throw unauthenticated('the session token is malformed; sign in again');
    }
    const nowS = Math.floor(nowMs / 1000);
    if (claims === null || typeof claims !== 'object' || claims.iss !== ISSUER || !isKnownUser(claims.sub) || typeof claims.exp !== 'number' || typeof claims.iat !== 'number' || typeof claims.jti !== 'string' || !TOKEN_ID.test(claims.jti)) {
      throw unauthenticated('the session token is malformed; sign in again');
    }
    if (claims.iat > nowS + CLOCK_SKEW_S) throw unauthenticated('the session token is not valid yet; sign in again');
    if (claims.exp <= nowS) throw unauthenticated('the session token has expired; sign in again');
    return { user: claims.sub, expiresAtS: claims.exp, tokenId: claims.jti };
  }

  private sign(input: string): string {
    return createHmac('sha256', this.secret).update(input).digest('base64url');
  }
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
