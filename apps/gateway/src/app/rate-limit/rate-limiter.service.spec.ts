import { Sidecar, type Logger } from '@failsoft/sidecar';
import { createRedisClient, type StateRedis } from '@failsoft/state';
import { getFreePort, startRedisServer, waitUntil, type RedisServerHandle } from '@failsoft/testing';
import { FRONT_DOOR_ATTEMPTS, RateLimiterService, RATE_LIMIT_ATTEMPTS_PREFIX, RATE_LIMIT_KEY_PREFIX } from './rate-limiter.service';
import { frontDoorRequestId } from './write-rate-limit';

jest.setTimeout(30_000);

let server: RedisServerHandle;
const clients: StateRedis[] = [];
const quiet = { warn: () => undefined };

function client(port: number): StateRedis {
  const redis = createRedisClient({ port, logger: quiet, connectTimeoutMs: 200, retryBaseMs: 50, retryMaxMs: 200 });
  clients.push(redis);
  return redis;
}

/** A logger that records warnings. */
function recordingLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (msg, fields) => lines.push(`${msg} ${JSON.stringify(fields ?? {})}`),
    error: () => undefined,
    child: () => logger,
  };
  return logger;
}

function limiter(redis: StateRedis, lines: string[] = [], limit = 3): RateLimiterService {
  const sidecar = new Sidecar({ service: 'gateway', auth: { token: 'spec-token-0123456789' }, logger: recordingLogger(lines) });
  return new RateLimiterService(redis, sidecar, { RATE_LIMIT_WRITES: limit, RATE_LIMIT_WINDOW_MS: 60_000 });
}

beforeAll(async () => {
  server = await startRedisServer();
});

afterAll(async () => {
  for (const redis of clients) await redis.close();
  await server?.stop();
});

describe('RateLimiterService', () => {
  it('allows `limit` writes per window per user, shared by every gateway, then refuses with the time to wait', async () => {
    const a = client(server.port);
    const b = client(server.port);
    await Promise.all([a.ping(), b.ping()]);
    const gatewayA = limiter(a);
    const gatewayB = limiter(b);
    const decisions = [await gatewayA.consume('alice'), await gatewayB.consume('alice'), await gatewayA.consume('alice'), await gatewayB.consume('alice')];
    expect(decisions.map((d) => [d.allowed, d.remaining, d.failedOpen])).toEqual([
      [true, 2, false],
      [true, 1, false],
      [true, 0, false],
      [false, 0, false],
    ]);
    expect(decisions[3].resetMs).toBeGreaterThan(0);
    expect(decisions[3].resetMs).toBeLessThanOrEqual(60_000);
    expect((await gatewayB.consume('bob')).allowed).toBe(true); // per user
    const ttl = await a.pttl(`${RATE_LIMIT_KEY_PREFIX}alice`);
    expect(ttl).toBeGreaterThan(0); // the window expires by itself
  });

  it('counts the attempts of one front-door request once, on any gateway, with the first attempt\'s decision', async () => {
    const a = client(server.port);
    const b = client(server.port);
    await Promise.all([a.ping(), b.ping()]);
    const gatewayA = limiter(a, [], 2);
    const gatewayB = limiter(b, [], 2);
    const first = await gatewayA.consume('dave', undefined, 'req-0001');
    const retry = await gatewayB.consume('dave', undefined, 'req-0001'); // the front door's retry on the other gateway
    expect([first.allowed, first.remaining, first.repeat]).toEqual([true, 1, false]);
    expect([retry.allowed, retry.remaining, retry.repeat]).toEqual([true, 1, true]);
    expect(await a.get(`${RATE_LIMIT_KEY_PREFIX}dave`)).toBe('1');
    expect(await a.hget(`${RATE_LIMIT_ATTEMPTS_PREFIX}dave:req-0001`, 'n')).toBe('2');
    // another request fills the window: a late retry of the first still gets the first decision (no 429 for it)
    expect((await gatewayA.consume('dave', undefined, 'req-0002')).remaining).toBe(0);
    const late = await gatewayB.consume('dave', undefined, 'req-0001');
    expect([late.allowed, late.repeat]).toEqual([true, true]);
    expect(await a.get(`${RATE_LIMIT_KEY_PREFIX}dave`)).toBe('2');
    // beyond the front door's attempts, the same id counts again (a reused id buys at most 3 writes per unit)
    expect(FRONT_DOOR_ATTEMPTS).toBe(3);
    const fourth = await gatewayA.consume('dave', undefined, 'req-0001');
    expect([fourth.allowed, fourth.repeat]).toEqual([false, false]);
    // an id is per user: the same id of another user is a new request
    expect((await gatewayA.consume('erin', undefined, 'req-0001')).repeat).toBe(false);
  });

  it('believes the request id only from a proxy of the platform, and only a well-formed one', () => {
    const headers = { 'x-request-id': '7F000001:C3A4_7F000001:1F90_6753A1B2_0001:2A3B' };
    expect(frontDoorRequestId({ headers, socket: { remoteAddress: '127.0.0.1' } })).toBe(headers['x-request-id']);
    expect(frontDoorRequestId({ headers, socket: { remoteAddress: '::ffff:172.18.0.5' } })).toBe(headers['x-request-id']);
    expect(frontDoorRequestId({ headers, socket: { remoteAddress: '203.0.113.9' } })).toBeUndefined();
    expect(frontDoorRequestId({ headers: { 'x-request-id': 'a b' }, socket: { remoteAddress: '127.0.0.1' } })).toBeUndefined();
    expect(frontDoorRequestId({ headers: {}, socket: { remoteAddress: '127.0.0.1' } })).toBeUndefined();
  });

  it('fails open (allows, logs once) when Redis is unreachable, without waiting for it', async () => {
    const lines: string[] = [];
    const dead = client(await getFreePort());
    const service = limiter(dead, lines, 1);
    const decisions = [await service.consume('alice'), await service.consume('alice'), await service.consume('alice')];
    expect(decisions.every((d) => d.allowed && d.failedOpen)).toBe(true);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/rate limiting unavailable; allowing requests \(fail open\)/);
  });

  it('fails open when Redis stops answering mid-way, and limits again once it is back', async () => {
    const extra = await startRedisServer();
    try {
      const redis = client(extra.port);
      await redis.ping();
      const service = limiter(redis, [], 1);
      expect((await service.consume('carol')).allowed).toBe(true);
      expect((await service.consume('carol')).allowed).toBe(false);
      extra.kill('SIGSTOP'); // hung: connected but silent
      const hung = await service.consume('carol');
      expect([hung.allowed, hung.failedOpen]).toEqual([true, true]);
      extra.kill('SIGCONT');
      await waitUntil(async () => (await service.consume('carol')).failedOpen === false, { timeoutMs: 10_000 });
      expect((await service.consume('carol')).allowed).toBe(false);
    } finally {
      extra.kill('SIGCONT');
      await extra.stop();
    }
  });
});
