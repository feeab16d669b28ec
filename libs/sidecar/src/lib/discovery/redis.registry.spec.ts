import { Redis } from 'ioredis';
import { startRedisServer, waitUntil, type RedisServerHandle } from '@failsoft/testing';
import type { ServiceInstance } from '../core/instance';
import { isInvalidOptionsError, isSidecarError } from '../core/sidecar.error';
import { RedisRegistry, type RegisterEvent, type RegistryErrorEvent, registryKeys } from './redis.registry';

jest.setTimeout(30_000);

const instance = (id: string, port = 5000): ServiceInstance => ({
  id,
  service: 'likes',
  address: `127.0.0.1:${port}`,
  zone: 'z1',
  weight: 1,
  metadata: { version: '1' },
});

/** An ioredis client for tests (quick reconnects, an error listener as required). */
function connect(port: number): Redis {
  const redis = new Redis({ host: '127.0.0.1', port, retryStrategy: () => 100, maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined);
  return redis;
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('RedisRegistry (real redis-server)', () => {
  let server: RedisServerHandle;
  const clients: Redis[] = [];
  const registries: RedisRegistry[] = [];
  const keys = registryKeys('failsoft:registry', 'likes');

  function client(): Redis {
    const c = connect(server.port);
    clients.push(c);
    return c;
  }
  function registry(options: Partial<ConstructorParameters<typeof RedisRegistry>[0]> = {}): RedisRegistry {
    const r = new RedisRegistry({ redis: client(), ttlMs: 1_000, heartbeatMs: 200, ...options });
    registries.push(r);
    return r;
  }

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterEach(async () => {
    await Promise.all(registries.splice(0).map((r) => r.shutdown()));
    clients.splice(0).forEach((c) => c.disconnect());
    const admin = connect(server.port);
    await admin.flushall().catch(() => undefined); // a failed test may have left the server down
    admin.disconnect();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('writes the instance with a TTL, indexes it and publishes a join event', async () => {
    const admin = client();
    const sub = client();
    const messages: string[] = [];
    sub.on('message', (_c: string, m: string) => messages.push(m));
    await sub.subscribe(keys.events);
    const reg = await registry().register(instance('likes-1'));
    expect(reg.registered).toBe(true);
    const stored = JSON.parse((await admin.get(keys.instance('likes-1'))) as string);
    expect(stored).toEqual(instance('likes-1'));
    const ttl = await admin.pttl(keys.instance('likes-1'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1_000);
    expect(await admin.zrange(keys.index, 0, -1)).toEqual(['likes-1']);
    await waitUntil(() => messages.length > 0, { timeoutMs: 5_000, message: 'no join event' });
    expect(JSON.parse(messages[0])).toEqual({ type: 'join', instance: instance('likes-1') });
  });

  it('heartbeats keep the entry alive past its TTL', async () => {
    const admin = client();
    await registry().register(instance('likes-1'));
    const seenTtls: number[] = [];
    // watch for 3 TTLs: the entry must be there every time
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      seenTtls.push(await admin.pttl(keys.instance('likes-1')));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(seenTtls.every((t) => t > 0)).toBe(true);
  });

  it('deregister() deletes the entry at once and publishes a leave event', async () => {
    const admin = client();
    const sub = client();
    const messages: string[] = [];
    sub.on('message', (_c: string, m: string) => messages.push(m));
    await sub.subscribe(keys.events);
    const reg = await registry().register(instance('likes-1'));
    await reg.deregister();
    expect(reg.registered).toBe(false);
    expect(await admin.exists(keys.instance('likes-1'))).toBe(0);
    expect(await admin.zrange(keys.index, 0, -1)).toEqual([]);
    await waitUntil(() => messages.length >= 2, { timeoutMs: 5_000, message: 'no leave event' });
    expect(JSON.parse(messages[1])).toEqual({ type: 'leave', id: 'likes-1', address: '127.0.0.1:5000' });
    // and the heartbeat does not bring it back
    await new Promise((r) => setTimeout(r, 600));
    expect(await admin.exists(keys.instance('likes-1'))).toBe(0);
  });

  it('re-registers when the entry vanished (e.g. failover to a replica that missed it)', async () => {
    const admin = client();
    const r = registry();
    const events: RegisterEvent[] = [];
    r.onRegister((e) => events.push(e));
    await r.register(instance('likes-1'));
    await admin.flushall();
    await waitUntil(async () => (await admin.exists(keys.instance('likes-1'))) === 1, { timeoutMs: 5_000, message: 'not re-registered' });
    expect(await admin.zrange(keys.index, 0, -1)).toEqual(['likes-1']);
    await waitUntil(() => events.length >= 2, { timeoutMs: 5_000, message: 'no recovered event' });
    expect(events.map((e) => e.reason)).toEqual(['initial', 'recovered']);
  });

  it('shutdown() stops heartbeats without deleting: the entry expires after its TTL', async () => {
    const admin = client();
    const r = registry();
    await r.register(instance('likes-1'));
    await r.shutdown();
    expect(await admin.exists(keys.instance('likes-1'))).toBe(1);
    await waitUntil(async () => (await admin.exists(keys.instance('likes-1'))) === 0, { timeoutMs: 5_000, message: 'entry did not expire' });
    await expect(r.register(instance('likes-2'))).rejects.toMatchObject({ code: 'DRAINING' });
  });

  it('trims index members long expired', async () => {
    const admin = client();
    await admin.zadd(keys.index, Date.now() - 60_000, 'ghost');
    await registry().register(instance('likes-1'));
    expect(await admin.zrange(keys.index, 0, -1)).toEqual(['likes-1']);
  });

  it('survives Redis going away: reports errors, never throws, and registers again when it is back', async () => {
    const port = server.port;
    const r = registry();
    const errors: RegistryErrorEvent[] = [];
    r.onError((e) => errors.push(e));
    const reg = await r.register(instance('likes-1'));
    await server.stop();
    await waitUntil(() => errors.length > 0, { timeoutMs: 10_000, message: 'no heartbeat error reported' });
    expect(errors[0].operation).toBe('heartbeat');
    expect(isSidecarError(errors[0].error, 'DISCOVERY_UNAVAILABLE')).toBe(true);
    expect(reg.registered).toBe(false);
    server = await startRedisServer({ port });
    const admin = client();
    await waitUntil(async () => (await admin.exists(keys.instance('likes-1'))) === 1, { timeoutMs: 10_000, message: 'not registered again' });
    await waitUntil(() => reg.registered, { timeoutMs: 5_000, message: 'registered flag not restored' });
  });

  it('register() returns after a bounded wait when Redis is down and registers once it is up', async () => {
    const port = server.port;
    await server.stop();
    const r = registry({ timeoutMs: 300 });
    const errors: RegistryErrorEvent[] = [];
    r.onError((e) => errors.push(e));
    const reg = await r.register(instance('likes-1'));
    expect(reg.registered).toBe(false);
    expect(errors[0]?.operation).toBe('register');
    server = await startRedisServer({ port });
    await waitUntil(() => reg.registered, { timeoutMs: 10_000, message: 'never registered' });
  });

  it('rejects bad options and instances naming the value', async () => {
    const redis = client();
    expect(errorOf(() => new RedisRegistry({ redis, ttlMs: 5 })).message).toBe('registry.ttlMs must be an integer from 1000 to 86400000; got 5');
    expect(errorOf(() => new RedisRegistry({ redis, ttlMs: 3_000, heartbeatMs: 3_000 })).message).toBe(
      'registry.heartbeatMs must be an integer from 50 to 2999 (less than registry.ttlMs); got 3000',
    );
    expect(errorOf(() => new RedisRegistry({ redis: {} as Redis })).message).toBe('registry.redis must be an ioredis client (new Redis(...)); got {}');
    expect(isInvalidOptionsError(errorOf(() => new RedisRegistry({ redis, prefix: '' })))).toBe(true);
    const r = registry();
    await expect(r.register({ ...instance('likes-1'), address: 'nowhere' })).rejects.toThrow(
      'registry.register(instance).address must be "host:port" (IPv6 as "[::1]:50051", port 1-65535); got "nowhere"',
    );
    await r.register(instance('likes-1'));
    await expect(r.register(instance('likes-1'))).rejects.toThrow('registry.register(instance).id "likes-1" is already registered; deregister it first');
  });
});
