import { Redis } from 'ioredis';
import { RedisFaultRuleStore, validateFaultRule, type FaultRule } from '@failsoft/sidecar';
import { startRedisServer, waitUntil, type RedisServerHandle } from '@failsoft/testing';
import { newFaultId, readFaultRules, removeFaultRule, withRedis, writeFaultRule } from './fault-rules';

describe('fault rules in Redis (a real redis-server)', () => {
  let server: RedisServerHandle;
  beforeAll(async () => (server = await startRedisServer()));
  afterAll(() => server.stop());

  it('generates ids the store accepts', () => {
    const id = newFaultId('likes', 'Like');
    expect(id).toMatch(/^likes-Like-[0-9a-f]{6}$/);
    expect(newFaultId('likes', 'Like')).not.toBe(id);
    expect(validateFaultRule({ id: newFaultId('*', 'a b/c'), service: '*', abortPercent: 1 }).id).toMatch(/^any-abc-[0-9a-f]{6}$/);
  });

  it('writes through RedisFaultRuleStore: a subscribed store (as in every server) sees the rule, then its removal', async () => {
    const serverSide = new Redis({ host: server.host, port: server.port });
    serverSide.on('error', () => undefined);
    const store = new RedisFaultRuleStore({ redis: serverSide, refreshIntervalMs: 60_000 });
    await store.start();
    try {
      const rule = await withRedis(server, (redis) => writeFaultRule(redis, { id: 'r1', service: 'likes', method: 'Like', abortPercent: 100, expiresAt: Date.now() + 60_000 }));
      expect(rule).toMatchObject({ id: 'r1', service: 'likes', method: 'Like', abortPercent: 100, abortCode: 14 });
      // the channel message reaches the subscriber: no waiting for the periodic reload
      await waitUntil(() => store.list().some((r) => r.id === 'r1'), { timeoutMs: 5000, message: 'the subscribed store to see r1' });
      expect(store.decide('likes', 'Like')).toBeDefined();
      expect(await withRedis(server, readFaultRules)).toEqual([rule]);
      await withRedis(server, (redis) => removeFaultRule(redis, 'r1'));
      await waitUntil(() => store.list().length === 0, { timeoutMs: 5000, message: 'the subscribed store to drop r1' });
    } finally {
      await store.shutdown();
      serverSide.disconnect();
    }
  });

  it('rejects a bad rule (BAD_REQUEST) and an unknown id (NOT_FOUND) and leaves Redis alone', async () => {
    await expect(withRedis(server, (redis) => writeFaultRule(redis, { id: 'bad', service: 'likes', abortPercent: 150 }))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'fault rule "bad": abortPercent must be a number from 0 to 100; got 150',
    });
    await withRedis(server, (redis) => writeFaultRule(redis, { id: 'keep', service: 'feed', delayMs: 200 }));
    await expect(withRedis(server, (redis) => removeFaultRule(redis, 'nope'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/no fault rule "nope"; the rules are keep/) });
    expect((await withRedis(server, readFaultRules)).map((r: FaultRule) => r.id)).toEqual(['keep']);
    await withRedis(server, (redis) => removeFaultRule(redis, 'keep'));
  });

  it('lists only rules in force (expired and invalid ones left out)', async () => {
    await withRedis(server, async (redis) => {
      await redis.hset('failsoft:faults:rules', 'old', JSON.stringify({ id: 'old', service: 'likes', abortPercent: 5, expiresAt: Date.now() - 1000 }), 'junk', '{not json');
      expect(await readFaultRules(redis)).toEqual([]);
      await redis.del('failsoft:faults:rules');
    });
  });

  it('an unreachable Redis is a clear UNAVAILABLE error', async () => {
    const closed = await startRedisServer();
    await closed.stop();
    await expect(withRedis(closed, readFaultRules)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(new RegExp(`cannot reach the Redis master 127\\.0\\.0\\.1:${closed.port}`)) });
  });
});
