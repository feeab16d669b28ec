import { Body, Controller, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { clientIp } from '../common/client-ip';
import type { GatewayRequest } from '../common/gateway-request';
import { bodyObject, stringField } from '../common/json-input';
import { ApiError } from '../errors/api-error';
import { GATEWAY_CONFIG } from '../gateway.constants';
import type { GatewayConfig } from '../gateway.config';
import { OPERATOR_USER, isDemoUser, roleOf, type KnownUser, type UserRole } from './demo-users';
import { SessionTokenService } from './session-token.service';
import { SignedInGuard } from './signed-in.guard';
import { SignInThrottleService } from './sign-in-throttle.service';
import { TokenRevocationService } from './token-revocation.service';

/** Body of a successful sign-in. */
export interface SignInResponse {
  readonly token: string;
  readonly tokenType: 'Bearer';
  readonly user: string;
  /** `member` (demo users) or `operator`. */
  readonly role: UserRole;
  /** Expiry as an ISO time. */
  readonly expiresAt: string;
  /** Seconds until expiry. */
  readonly expiresIn: number;
}

/** Body of a sign-out. */
export interface SignOutResponse {
  readonly signedOut: true;
  /** False when only this gateway knows (Redis did not take the revocation in time). */
  readonly everywhere: boolean;
}

/**
 * `POST /api/auth/sign-in`: demo users (members) and the operator get a signed session token;
 * `POST /api/auth/sign-out` revokes it.
 */
@Controller('api/auth')
export class AuthController {
  private readonly passwordDigest: Buffer;
  /** Undefined when no OPERATOR_PASSWORD is configured: nobody signs in as the operator. */
  private readonly operatorDigest?: Buffer;

  /** Collaborators and DEMO_PASSWORD / OPERATOR_PASSWORD. */
  constructor(
    private readonly tokens: SessionTokenService,
    private readonly throttle: SignInThrottleService,
    private readonly revocations: TokenRevocationService,
    @Inject(GATEWAY_CONFIG) config: Pick<GatewayConfig, 'DEMO_PASSWORD' | 'OPERATOR_PASSWORD'>,
  ) {
    this.passwordDigest = digest(config.DEMO_PASSWORD);
    if (config.OPERATOR_PASSWORD !== '') this.operatorDigest = digest(config.OPERATOR_PASSWORD);
  }

  /**
   * Signs in `{"user":"alice","password":"failsoft"}` (members alice, bob, carol; and `operator`
   * with OPERATOR_PASSWORD). 400 for a malformed body, 401 `INVALID_CREDENTIALS` for an unknown
   * user or a wrong password (one message for both, and a constant-time comparison, so neither
   * leaks which was wrong), 429 `RATE_LIMITED` after too many failures for the user or the address.
   */
  @Post('sign-in')
  @HttpCode(200)
  async signIn(@Body() body: unknown, @Req() request: GatewayRequest): Promise<SignInResponse> {
    const input = bodyObject(body, '{"user":"alice","password":"failsoft"}');
    const user = stringField(input, 'user', 64);
    const password = stringField(input, 'password', 256);
    const ip = clientIp(request);
    await this.throttle.check(user, ip);
    const known = this.passwordFor(user);
    const given = digest(password);
    const passwordOk = timingSafeEqual(given, known ?? this.passwordDigest);
    if (known === undefined || !passwordOk) {
      await this.throttle.failed(user, ip);
      throw new ApiError(401, 'INVALID_CREDENTIALS', 'unknown user or wrong password (demo users: alice, bob, carol)');
    }
    const signedIn = user as KnownUser;
    const issued = this.tokens.issue(signedIn);
    return {
      token: issued.token,
      tokenType: 'Bearer',
      user: signedIn,
      role: roleOf(signedIn),
      expiresAt: new Date(issued.expiresAtS * 1000).toISOString(),
      expiresIn: issued.expiresAtS - Math.floor(Date.now() / 1000),
    };
  }

  /** Revokes the session token of the request on every gateway (401 without a valid one). */
  @Post('sign-out')
  @HttpCode(200)
  @UseGuards(SignedInGuard)
  async signOut(@Req() request: GatewayRequest): Promise<SignOutResponse> {
    const session = request.session;
    if (session === undefined) throw new Error('sign-out needs SignedInGuard before it');
    const everywhere = await this.revocations.revoke(session.tokenId, session.expiresAtS);
    return { signedOut: true, everywhere };
  }

  /** The password digest of `user`, undefined for a user who cannot sign in. */
  private passwordFor(user: string): Buffer | undefined {
    if (isDemoUser(user)) return this.passwordDigest;
    if (user === OPERATOR_USER) return this.operatorDigest;
    return undefined;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
