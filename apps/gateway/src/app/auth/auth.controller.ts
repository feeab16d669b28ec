import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { bodyObject, stringField } from '../common/json-input';
import { ApiError } from '../errors/api-error';
import { GATEWAY_CONFIG } from '../gateway.constants';
import type { GatewayConfig } from '../gateway.config';
import { isDemoUser } from './demo-users';
import { SessionTokenService } from './session-token.service';

/** Body of a successful sign-in. */
export interface SignInResponse {
  readonly token: string;
  readonly tokenType: 'Bearer';
  readonly user: string;
  /** Expiry as an ISO time. */
  readonly expiresAt: string;
  /** Seconds until expiry. */
  readonly expiresIn: number;
}

/** `POST /api/auth/sign-in`: demo users get a signed session token. */
@Controller('api/auth')
export class AuthController {
  private readonly passwordDigest: Buffer;

  /** @param tokens issues tokens; @param config DEMO_PASSWORD. */
  constructor(
    private readonly tokens: SessionTokenService,
    @Inject(GATEWAY_CONFIG) config: Pick<GatewayConfig, 'DEMO_PASSWORD'>,
  ) {
    this.passwordDigest = digest(config.DEMO_PASSWORD);
  }

  /**
   * Signs in `{"user":"alice","password":"failsoft"}` (users alice, bob, carol). 400 for a
   * malformed body, 401 `INVALID_CREDENTIALS` for an unknown user or a wrong password (one message
   * for both, and a constant-time comparison, so neither leaks which was wrong).
   */
  @Post('sign-in')
  @HttpCode(200)
  signIn(@Body() body: unknown): SignInResponse {
    const input = bodyObject(body, '{"user":"alice","password":"failsoft"}');
    const user = stringField(input, 'user', 64);
    const password = stringField(input, 'password', 256);
    const passwordOk = timingSafeEqual(digest(password), this.passwordDigest);
    if (!isDemoUser(user) || !passwordOk) {
      throw new ApiError(401, 'INVALID_CREDENTIALS', 'unknown user or wrong password (demo users: alice, bob, carol)');
    }
    const issued = this.tokens.issue(user);
    return {
      token: issued.token,
      tokenType: 'Bearer',
      user,
      expiresAt: new Date(issued.expiresAtS * 1000).toISOString(),
      expiresIn: issued.expiresAtS - Math.floor(Date.now() / 1000),
    };
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
