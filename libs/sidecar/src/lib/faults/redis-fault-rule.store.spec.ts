import { startRedisServer, waitUntil, type RedisServerHandle } from '@failsoft/testing';
import { status } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { RedisFaultRuleStore } from './redis-fault-rule.store';

// real processes and connections: a generous timeout for slow machines (no speed is asserted)
jest.setTimeout(30_000);

describe('RedisFaultRuleStore (real Redis)', () => {
  let redisServer: RedisServerHandle;
  const clients: Redis[] = [];
  const stores: RedisFaultRuleStore[] = [];

  function client(): Redis {
    const redis = new Redis({ host: redisServer.host, port: redisServer.port, maxRetriesPerRequest: 1, retryStrategy: () => 50, disconnectTimeout: 200 });
    redis.on('error', () => undefined);
    clients.push(redis);
    return redis;
  }

  function store(options: Partial<ConstructorParameters<typeof RedisFaultRuleStore>[0]> = {}): RedisFaultRuleStore {
    const created = new RedisFaultRuleStore({ redis: client(), prefix: 'test:faults', refreshIntervalMs: 60_000, ...options });
    stores.push(created);
    return created;
  }

  beforeEach(async () => {
    redisServer = await startRedisServer();
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.shutdown()));
    await Promise.all(clients.splice(0).map((c) => (c.status === 'ready' ? c.quit().catch(() => c.disconnect()) : c.disconnect())));
    await redisServer.stop();
  });

  it('propagates a rule set in one process to another through pub/sub', async () => {
    const cli = store();
    const server = store();
    await Promise.all([cli.start(), server.start()]);
    const changes: number[] = [];
    server.onChange((rules) => changes.push(rules.length));
    await cli.set({ id: 'likes-half', service: 'likes', abortPercent: 50, abortCode: 'UNAVAILABLE' });
    // the periodic refresh is one minute away, so only the published change can deliver it in time
    await waitUntil(() => server.list().length === 1, { timeoutMs: 5000, message: 'rule never reached the second store' });
    expect(server.list()[0]).toMatchObject({ id: 'likes-half', service: 'likes', abortPercent: 50, abortCode: status.UNAVAILABLE });
    expect(changes).toEqual([1]);
    expect(await cli.remove('likes-half')).toBe(true);
    await waitUntil(() => server.list().length === 0, { timeoutMs: 5000, message: 'removal never reached the second store' });
    expect(await cli.remove('likes-half')).toBe(false);
  });

  it('loads existing rules at start and applies them locally', async () => {
    const writer = store();
    await writer.set({ id: 'abort-all', service: 'likes', abortPercent: 100, abortCode: 'INTERNAL' });
    await writer.set({ id: 'slow', service: 'feed', delayMs: 20 });
    const reader = store();
    await reader.start();
    expect(reader.list().map((r) => r.id)).toEqual(['abort-all', 'slow']);
    expect(reader.decide('likes', 'Like')?.abort?.code).toBe(status.INTERNAL);
    expect(reader.decide('feed', 'GetFeed')?.delayMs).toBe(20);
    expect(reader.decide('upload', 'CreatePost')).toBeUndefined();
  });

  it('clear() removes every rule everywhere', async () => {
    const a = store();
    const b = store();
    await Promise.all([a.start(), b.start()]);
    await a.set({ id: 'x', service: 's', abortPercent: 1 });
    await a.set({ id: 'y', service: 's', abortPercent: 2 });
    await waitUntil(() => b.list().length === 2, { timeoutMs: 5000, message: 'rules never reached b' });
    await a.clear();
    await waitUntil(() => b.list().length === 0, { timeoutMs: 5000, message: 'clear never reached b' });
    expect(a.list()).toEqual([]);
  });

  it('keeps the last rules when Redis goes away, and reports the failure', async () => {
    const writer = store();
    const server = store();
    await Promise.all([writer.start(), server.start()]);
    await writer.set({ id: 'keep-me', service: 'likes', abortPercent: 100 });
    await waitUntil(() => server.list().length === 1, { timeoutMs: 5000, message: 'rule never arrived' });
    const errors: Error[] = [];
    server.onError((error) => errors.push(error));
    await redisServer.stop();
    expect(await server.refresh()).toBe(false);
    expect(errors.length).toBeGreaterThan(0);
    expect(server.list().map((r) => r.id)).toEqual(['keep-me']);
    expect(server.decide('likes', 'Like')?.abort).toBeDefined();
  });

  it('picks up changes it missed through the periodic refresh', async () => {
    const server = store({ refreshIntervalMs: 50 });
    await server.start();
    // written behind the store's back: no publish
    await client().hset('test:faults:rules', 'quiet', JSON.stringify({ id: 'quiet', service: 's', abortPercent: 5 }));
    await waitUntil(() => server.list().length === 1, { timeoutMs: 5000, message: 'periodic refresh never loaded the rule' });
    expect(server.list()[0].id).toBe('quiet');
  });

  it('skips invalid stored rules and reports them', async () => {
    const raw = client();
    await raw.hset('test:faults:rules', 'bad', JSON.stringify({ id: 'bad', service: 's', abortPercent: 900 }), 'good', JSON.stringify({ id: 'good', service: 's', abortPercent: 5 }));
    const server = store();
    const errors: string[] = [];
    server.onError((error) => errors.push(error.message));
    await server.start();
    expect(server.list().map((r) => r.id)).toEqual(['good']);
    expect(errors).toEqual(['ignoring invalid fault rule "bad" in test:faults:rules: fault rule "bad": abortPercent must be a number from 0 to 100; got 900']);
  });

  it('validates rules before writing them', async () => {
    const writer = store();
    await expect(writer.set({ id: 'r', service: 's', abortPercent: -1 })).rejects.toThrow('fault rule "r": abortPercent must be a number from 0 to 100; got -1');
    expect(await client().hlen('test:faults:rules')).toBe(0);
  });

  it('rejects bad options', () => {
    expect(() => new RedisFaultRuleStore({ redis: {} as never })).toThrow('faultStore.redis must be an ioredis client; got {}');
    expect(() => store({ refreshIntervalMs: 0 })).toThrow('faultStore.refreshIntervalMs must be an integer >= 10; got 0');
  });
});
