import { createRedisClient, type StateRedis } from '@failsoft/state';
import { getFreePort, startRedisServer, waitUntil, type RedisServerHandle } from '@failsoft/testing';
import { isApiError } from '../errors/api-error';
import { SignInThrottleService, SIGN_IN_FAIL_KEY_PREFIX } from './sign-in-throttle.service';

jest.setTimeout(30_000);

const config = { SIGN_IN_MAX_FAILURES_PER_USER: 10, SIGN_IN_MAX_FAILURES_PER_IP: 20, SIGN_IN_WINDOW_MS: 300_000 };
const now = Date.UTC(2030, 0, 1);
const quiet = { warn: () => undefined };
let server: RedisServerHandle;
const clients: StateRedis[] = [];

function client(port: number): StateRedis {
  const redis = createRedisClient({ port, logger: quiet, connectTimeoutMs: 200, retryBaseMs: 50, retryMaxMs: 200 });
  clients.push(redis);
  return redis;
}

/** The 429 message of `check`, or 'allowed'. */
async function verdict(throttle: SignInThrottleService, user: string, ip: string, at = now): Promise<string> {
  try {
    await throttle.check(user, ip, at);
    return 'allowed';
  } catch (error) {
    if (isApiError(error) && error.status === 429) return `429 ${error.message}`;
    throw error;
  }
}

/** One failed sign-in from `ip` for each of `count` distinct users (`prefix-0`, `prefix-1`, ...): never a user's own limit. */
async function failAcrossUsers(throttle: SignInThrottleService, ip: string, count: number, prefix: string): Promise<void> {
  for (let i = 0; i < count; i++) await throttle.failed(`${prefix}-${i}`, ip, now);
}

beforeAll(async () => {
  server = await startRedisServer();
});

afterAll(async () => {
  for (const redis of clients) await redis.close();
  await server?.stop();
});

describe('SignInThrottleService, per client address', () => {
  it('refuses an address after 20 failures spread over 20 users (none of them at its own limit), on every gateway; other addresses go on', async () => {
    const a = client(server.port);
    const b = client(server.port);
    await Promise.all([a.ping(), b.ping()]);
    const gatewayA = new SignInThrottleService(a, config);
    const gatewayB = new SignInThrottleService(b, config);
    await failAcrossUsers(gatewayA, '198.51.100.7', 19, 'spread');
    expect(await verdict(gatewayA, 'someone-new', '198.51.100.7')).toBe('allowed'); // 19: under the limit
    await gatewayA.failed('spread-19', '198.51.100.7', now);
    expect(await verdict(gatewayA, 'someone-new', '198.51.100.7')).toMatch(/^429 too many failed sign-ins for this address \(at most 20 per 300 s\)/);
    expect(await verdict(gatewayB, 'alice', '198.51.100.7')).toMatch(/^429 .*this address/); // shared through Redis
    expect(await verdict(gatewayB, 'alice', '198.51.100.8')).toBe('allowed'); // negative control: another address
    expect(await verdict(gatewayA, 'spread-0', '198.51.100.9')).toBe('allowed'); // one failure per user is not a user's limit
    expect(Number(await a.get(`${SIGN_IN_FAIL_KEY_PREFIX}ip:198.51.100.7`))).toBe(20);
  });

  it('says how long to wait: Retry-After within the window', async () => {
    const redis = client(server.port);
    await redis.ping();
    const throttle = new SignInThrottleService(redis, config);
    await failAcrossUsers(throttle, '198.51.100.20', 20, 'wait');
    const refusal = await throttle.check('x', '198.51.100.20', now).then(
      () => undefined,
      (error: unknown) => error,
    );
    if (!isApiError(refusal)) throw new Error('expected a 429 ApiError');
    const seconds = Number(refusal.headers?.['Retry-After']);
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(300);
  });
});

describe('SignInThrottleService without Redis (the in-memory fallback)', () => {
  it('still refuses an address after 20 failures when Redis is not reachable; a gateway that saw none allows it (control)', async () => {
    const down = client(await getFreePort()); // nothing listens there
    const throttle = new SignInThrottleService(down, config);
    await failAcrossUsers(throttle, '203.0.113.5', 19, 'offline');
    expect(down.status).not.toBe('ready');
    expect(await verdict(throttle, 'someone-new', '203.0.113.5')).toBe('allowed');
    await throttle.failed('offline-19', '203.0.113.5', now);
    expect(await verdict(throttle, 'someone-new', '203.0.113.5')).toMatch(/^429 .*this address/);
    expect(await verdict(new SignInThrottleService(down, config), 'someone-new', '203.0.113.5')).toBe('allowed');
    expect(await verdict(throttle, 'someone-new', '203.0.113.5', now + config.SIGN_IN_WINDOW_MS)).toBe('allowed'); // the window ends
  });

  it('keeps counting in memory when Redis goes away after the first failures', async () => {
    const extra = await startRedisServer();
    const redis = client(extra.port);
    await redis.ping();
    const throttle = new SignInThrottleService(redis, config);
    await failAcrossUsers(throttle, '203.0.113.6', 10, 'before');
    await extra.stop();
    await waitUntil(() => redis.status !== 'ready', { timeoutMs: 10_000 });
    await failAcrossUsers(throttle, '203.0.113.6', 9, 'after');
    expect(await verdict(throttle, 'someone-new', '203.0.113.6')).toBe('allowed');
    await throttle.failed('after-9', '203.0.113.6', now);
    expect(await verdict(throttle, 'someone-new', '203.0.113.6')).toMatch(/^429 .*this address/);
  });
});
