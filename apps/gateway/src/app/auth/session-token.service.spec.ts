import { isApiError } from '../errors/api-error';
import { SessionTokenService } from './session-token.service';

const config = { AUTH_SECRET: 'spec-secret-0123456789abcdef0123456789', AUTH_TOKEN_TTL_S: 3600 };
const now = Date.UTC(2030, 0, 1);

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isApiError(error) && error.status === 401) return error.message;
    throw error;
  }
  throw new Error('expected a 401');
}

describe('SessionTokenService', () => {
  const tokens = new SessionTokenService(config);

  it('issues JWT-shaped HS256 tokens that verify, with the expiry', () => {
    const issued = tokens.issue('alice', now);
    expect(issued.token.split('.')).toHaveLength(3);
    expect(JSON.parse(Buffer.from(issued.token.split('.')[0], 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(issued.expiresAtS).toBe(now / 1000 + 3600);
    expect(tokens.verify(issued.token, now + 1000)).toEqual({ user: 'alice', expiresAtS: issued.expiresAtS });
  });

  it('is stateless: another instance with the same secret accepts the token, one with another secret does not', () => {
    const { token } = tokens.issue('bob', now);
    expect(new SessionTokenService(config).verify(token, now).user).toBe('bob');
    expect(refusal(() => new SessionTokenService({ ...config, AUTH_SECRET: `${config.AUTH_SECRET}x` }).verify(token, now))).toMatch(/bad signature/);
  });

  it('refuses expired, not-yet-valid, tampered, unsigned and malformed tokens', () => {
    const { token } = tokens.issue('alice', now);
    expect(refusal(() => tokens.verify(token, now + 3600 * 1000))).toMatch(/expired/);
    expect(refusal(() => tokens.verify(token, now - 3600 * 1000))).toMatch(/not valid yet/);
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const asBob = Buffer.from(JSON.stringify({ ...claims, sub: 'bob' })).toString('base64url');
    expect(refusal(() => tokens.verify(`${header}.${asBob}.${signature}`, now))).toMatch(/bad signature/);
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expect(refusal(() => tokens.verify(`${none}.${payload}.`, now))).toMatch(/malformed/);
    expect(refusal(() => tokens.verify(`${none}.${payload}.${signature}`, now))).toMatch(/bad signature/);
    for (const bad of ['', 'abc', 'a.b', 'a.b.c.d', 'a.b.c d', `${token}x`, 'x'.repeat(5000)]) expect(refusal(() => tokens.verify(bad, now))).toMatch(/malformed|bad signature/);
  });

  it('refuses a correctly signed token for a user who is not a demo user', () => {
    const forger = new SessionTokenService(config) as unknown as { issue: (user: string, nowMs: number) => { token: string } };
    const { token } = forger.issue('mallory', now);
    expect(refusal(() => tokens.verify(token, now))).toMatch(/malformed/);
  });
});
