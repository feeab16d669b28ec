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
    expect(tokens.verify(issued.token, now + 1000)).toEqual({ user: 'alice', expiresAtS: issued.expiresAtS, tokenId: issued.tokenId });
  });

  it('gives every token its own id (jti, what sign-out revokes), and signs the operator in too', () => {
    const a = tokens.issue('alice', now);
    const b = tokens.issue('alice', now);
    expect(a.tokenId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a.tokenId).not.toBe(b.tokenId);
    expect(tokens.verify(tokens.issue('operator', now).token, now).user).toBe('operator');
  });

  it('refuses a correctly signed token without a well-formed id', () => {
    const forger = tokens as unknown as { sign: (input: string) => string };
    const header = tokens.issue('alice', now).token.split('.')[0];
    for (const jti of [undefined, 'short', 42]) {
      const payload = Buffer.from(JSON.stringify({ sub: 'alice', iat: now / 1000, exp: now / 1000 + 60, iss: 'failsoft-gateway', jti })).toString('base64url');
      expect(refusal(() => tokens.verify(`${header}.${payload}.${forger.sign(`${header}.${payload}`)}`, now))).toMatch(/malformed/);
    }
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
