import { Redis } from 'ioredis';
import { startRedisServer, waitUntil, type RedisServerHandle } from '@failsoft/testing';
import type { ServiceInstance } from '../core/instance';
import { isSidecarError } from '../core/sidecar.error';
import type { DiscoveryError } from './discovery.error';
import { RedisRegistry, registryKeys } from './redis.registry';
import { RedisResolver, type RedisResolverOptions } from './redis.resolver';

jest.setTimeout(30_000);

const instance = (id: string, port = 5000, service = 'likes'): ServiceInstance => ({
  id,
  service,
  address: `127.0.0.1:${port}`,
  zone: 'z1',
  weight: 1,
  metadata: {},
});
const ids = (view: readonly ServiceInstance[]) => view.map((i) => i.id);
/** Counts the registry loads a resolver makes on `redis` (each refresh lists the index with ZRANGE). */
function countLoads(redis: Redis): () => number {
  const spy = jest.spyOn(redis, 'zrange');
  return () => spy.mock.calls.length;
}
/** Waits until `loads()` has grown by `n`: n more refreshes ran (a condition, not a fixed sleep). */
async function moreLoads(loads: () => number, n: number, message: string): Promise<void> {
  const from = loads();
  await waitUntil(() => loads() >= from + n, { timeoutMs: 10_000, message });
}

/** An ioredis client for tests (quick reconnects, an error listener as required). */
function connect(port: number): Redis {
  const redis = new Redis({ host: '127.0.0.1', port, retryStrategy: () => 100, maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined);
  return redis;
}

describe('RedisResolver (real redis-server)', () => {
  let server: RedisServerHandle;
  const clients: Redis[] = [];
  const stoppables: Array<{ shutdown(): Promise<void> }> = [];

  function client(): Redis {
    const c = connect(server.port);
    clients.push(c);
    return c;
  }
  function registry(): RedisRegistry {
    const r = new RedisRegistry({ redis: client(), ttlMs: 1_000, heartbeatMs: 200 });
    stoppables.push(r);
    return r;
  }
  function resolver(options: Partial<RedisResolverOptions> = {}): RedisResolver {
    const r = new RedisResolver({ redis: client(), service: 'likes', refreshMs: 200, timeoutMs: 500, ...options });
    stoppables.push(r);
    return r;
  }

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterEach(async () => {
    await Promise.all(stoppables.splice(0).map((s) => s.shutdown()));
    clients.splice(0).forEach((c) => c.disconnect());
    const admin = connect(server.port);
    await admin.flushall().catch(() => undefined); // a failed test may have left the server down
    admin.disconnect();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('loads the registered instances of its service only, at start', async () => {
    const reg = registry();
    await reg.register(instance('likes-2', 5002));
    await reg.register(instance('likes-1', 5001));
    await reg.register(instance('feed-1', 6001, 'feed'));
    const r = resolver({ refreshMs: 60_000 });
    await r.start();
    expect(ids(r.instances())).toEqual(['likes-1', 'likes-2']);
    expect(r.instances()[0]).toEqual(instance('likes-1', 5001));
    expect(r.stale).toBe(false);
  });

  it('sees a new instance through the join event (no refresh needed)', async () => {
    const reader = client();
    const r = resolver({ redis: reader, refreshMs: 60_000 }); // no periodic refresh within the test
    await r.start();
    await waitUntil(() => client().pubsub('NUMSUB', registryKeys('failsoft:registry', 'likes').events).then((n) => (n as [string, number])[1] === 1), {
      timeoutMs: 5_000,
      message: 'resolver never subscribed',
    });
    // the subscriber's connect started a refresh (before its SUBSCRIBE was answered): join it and wait for it to end
    await r.refresh();
    const loads = jest.spyOn(reader, 'zrange');
    const changes: string[][] = [];
    r.onChange((v) => changes.push(ids(v)));
    await registry().register(instance('likes-1'));
    await waitUntil(() => r.instances().length === 1, { timeoutMs: 5_000, message: 'join event not applied' });
    expect(changes).toEqual([['likes-1']]);
    expect(loads).not.toHaveBeenCalled(); // it came through the event, not a reload
  });

  it('sees a new instance through the periodic refresh (events off)', async () => {
    const r = resolver({ subscribe: false, refreshMs: 200 });
    await r.start();
    expect(r.instances()).toEqual([]);
    await registry().register(instance('likes-1'));
    await waitUntil(() => r.instances().length === 1, { timeoutMs: 5_000, message: 'refresh did not pick up the instance' });
    expect(ids(r.instances())).toEqual(['likes-1']);
  });

  it('removes an instance at once when it deregisters (leave event)', async () => {
    const reg = registry();
    const a = await reg.register(instance('likes-1', 5001));
    await reg.register(instance('likes-2', 5002));
    const r = resolver({ refreshMs: 60_000 });
    await r.start();
    expect(ids(r.instances())).toEqual(['likes-1', 'likes-2']);
    await a.deregister();
    await waitUntil(() => r.instances().length === 1, { timeoutMs: 5_000, message: 'leave event not applied' });
    expect(ids(r.instances())).toEqual(['likes-2']);
  });

  it('drops an instance whose heartbeat stopped (no deregister) after its TTL', async () => {
    const dying = registry();
    await dying.register(instance('likes-1', 5001));
    await registry().register(instance('likes-2', 5002));
    const r = resolver({ refreshMs: 200 });
    await r.start();
    expect(ids(r.instances())).toEqual(['likes-1', 'likes-2']);
    await dying.shutdown(); // like a SIGKILLed process: no leave event
    expect(ids(r.instances())).toEqual(['likes-1', 'likes-2']);
    await waitUntil(() => r.instances().length === 1, { timeoutMs: 5_000, message: 'expired instance still in the view' });
    expect(ids(r.instances())).toEqual(['likes-2']);
  });

  it('drops the last instance of a service once its TTL and the empty-view grace have passed', async () => {
    const dying = registry();
    await dying.register(instance('likes-1'));
    const reader = client();
    const loads = countLoads(reader);
    const r = resolver({ redis: reader, refreshMs: 100, emptyGraceMs: 3_000 });
    await r.start();
    await dying.shutdown();
    const admin = client();
    const key = registryKeys('failsoft:registry', 'likes').instance('likes-1');
    await waitUntil(async () => (await admin.exists(key)) === 0, { timeoutMs: 5_000, message: 'entry never expired' });
    await moreLoads(loads, 3, 'three reloads after the entry expired'); // they list nothing: the grace holds the view
    expect(ids(r.instances())).toEqual(['likes-1']);
    expect(r.stale).toBe(true);
    await waitUntil(() => r.instances().length === 0, { timeoutMs: 10_000, message: 'dead instance never dropped' });
    expect(r.stale).toBe(false);
  });

  it('emits onChange only when the set really changes and keeps the same array otherwise', async () => {
    await registry().register(instance('likes-1'));
    const reader = client();
    const loads = countLoads(reader);
    const r = resolver({ redis: reader, refreshMs: 100 });
    await r.start();
    const view = r.instances();
    let changes = 0;
    r.onChange(() => changes++);
    await moreLoads(loads, 5, 'five refreshes'); // several refreshes and heartbeats (every 200 ms), nothing changes
    expect(changes).toBe(0);
    expect(r.instances()).toBe(view);
    expect(Object.isFrozen(view)).toBe(true);
  });

  it('keeps the last view when Redis dies (stale, no unhandled errors) and recovers on a new server', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const consoleError = jest.spyOn(console, 'error');
    try {
      const port = server.port;
      await registry().register(instance('likes-1'));
      const r = resolver({ refreshMs: 200, timeoutMs: 300 });
      const errors: DiscoveryError[] = [];
      const staleFlips: boolean[] = [];
      const views: string[][] = [];
      r.onChange((v) => views.push(ids(v)));
      r.onError((e) => errors.push(e));
      r.onStaleChange((s) => staleFlips.push(s));
      await r.start();
      const before = r.instances();
      expect(ids(before)).toEqual(['likes-1']);

      await server.stop(); // SIGKILL
      await waitUntil(() => r.stale, { timeoutMs: 5_000, message: 'never marked stale' });
      const failedBefore = errors.length;
      await waitUntil(() => errors.length >= failedBefore + 3, { timeoutMs: 10_000, message: 'three more failed refreshes' });
      expect(r.instances()).toBe(before);
      expect(errors.length).toBeGreaterThan(0);
      expect(isSidecarError(errors[0], 'DISCOVERY_UNAVAILABLE')).toBe(true);

      server = await startRedisServer({ port }); // empty: the registry heartbeat writes the instance again
      await waitUntil(() => !r.stale, { timeoutMs: 10_000, message: 'never recovered' });
      expect(ids(r.instances())).toEqual(['likes-1']);
      expect(views).toEqual([['likes-1']]); // the first load only: never emptied, though Redis came back without data
      expect(staleFlips[0]).toBe(true);
      expect(staleFlips[staleFlips.length - 1]).toBe(false);
      // a new instance is seen again after the recovery
      await registry().register(instance('likes-3', 5003));
      await waitUntil(() => r.instances().length === 2, { timeoutMs: 5_000, message: 'no updates after recovery' });
      expect(unhandled).toEqual([]);
      expect(consoleError.mock.calls.filter((c) => String(c[0]).includes('Unhandled error event'))).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      consoleError.mockRestore();
    }
  });

  it('start() returns after a bounded wait when Redis is down, with an empty stale view', async () => {
    const port = server.port;
    await server.stop();
    try {
      const r = resolver({ timeoutMs: 300 });
      await r.start();
      expect(r.instances()).toEqual([]);
      expect(r.stale).toBe(true);
    } finally {
      server = await startRedisServer({ port });
    }
  });

  it('subscribes once Redis is up when it was down at start, and gets events from then on', async () => {
    const port = server.port;
    await server.stop();
    const reader = client();
    const r = resolver({ redis: reader, refreshMs: 60_000, timeoutMs: 300 });
    const errors: DiscoveryError[] = [];
    r.onError((e) => errors.push(e));
    await r.start();
    expect(r.stale).toBe(true);
    // the first subscribe attempt fails while Redis is down (maxRetriesPerRequest): the resolver must retry it later
    await waitUntil(() => errors.some((e) => e.message.includes('subscribe failed')), { timeoutMs: 10_000, message: 'the subscribe attempt never failed' });
    server = await startRedisServer({ port });
    const admin = client();
    const channel = registryKeys('failsoft:registry', 'likes').events;
    await waitUntil(async () => ((await admin.pubsub('NUMSUB', channel)) as [string, number])[1] === 1, {
      timeoutMs: 10_000,
      message: 'resolver never subscribed after Redis came up',
    });
    await waitUntil(() => !r.stale, { timeoutMs: 5_000, message: 'still stale' }); // the recovery load is done
    const loads = jest.spyOn(reader, 'zrange');
    await registry().register(instance('likes-1'));
    await waitUntil(() => r.instances().length === 1, { timeoutMs: 5_000, message: 'join event not applied' });
    expect(loads).not.toHaveBeenCalled();
  });

  it('skips malformed entries and reports them without marking the view stale', async () => {
    const admin = client();
    const keys = registryKeys('failsoft:registry', 'likes');
    await registry().register(instance('likes-1'));
    await admin.zadd(keys.index, Date.now() + 60_000, 'bad');
    await admin.set(keys.instance('bad'), '{"id":"bad","service":"likes","address":"no-port"}', 'PX', 60_000);
    const r = resolver();
    const errors: DiscoveryError[] = [];
    r.onError((e) => errors.push(e));
    await r.start();
    expect(ids(r.instances())).toEqual(['likes-1']);
    expect(r.stale).toBe(false);
    expect(errors[0]?.message).toContain('invalid registry entry');
  });

  it('stops its timer and subscriber on shutdown', async () => {
    const reader = client();
    const loads = countLoads(reader);
    const r = resolver({ redis: reader, refreshMs: 100 });
    await r.start();
    const witnessReader = client();
    const witnessLoads = countLoads(witnessReader);
    const witness = resolver({ redis: witnessReader, refreshMs: 100 }); // still running: proves time and events passed
    await witness.start();
    const keys = registryKeys('failsoft:registry', 'likes');
    const admin = client();
    await waitUntil(async () => ((await admin.pubsub('NUMSUB', keys.events)) as [string, number])[1] === 2, { timeoutMs: 5_000, message: 'both subscribed' });
    await r.shutdown();
    await waitUntil(async () => ((await admin.pubsub('NUMSUB', keys.events)) as [string, number])[1] === 1, {
      timeoutMs: 5_000,
      message: 'the shut-down resolver\'s subscriber still connected',
    });
    const loadsAtShutdown = loads();
    await registry().register(instance('likes-1'));
    await waitUntil(() => witness.instances().length === 1, { timeoutMs: 5_000, message: 'the witness never saw the join' });
    await moreLoads(witnessLoads, 3, 'three refreshes of the witness');
    expect(r.instances()).toEqual([]);
    expect(loads()).toBe(loadsAtShutdown); // no refresh after shutdown
  });

  it('rejects bad options naming the value', () => {
    const redis = client();
    expect(() => new RedisResolver({ redis, service: 'likes', refreshMs: 10 })).toThrow('redisResolver.refreshMs must be an integer from 50 to 86400000; got 10');
    expect(() => new RedisResolver({ redis, service: 'a b' })).toThrow('redisResolver.service must be a service name (letters, digits, ".", "_", "-"); got "a b"');
    expect(() => new RedisResolver({ redis: 'redis://x' as never, service: 'likes' })).toThrow(
      'redisResolver.redis must be an ioredis client (new Redis(...)); got "redis://x"',
    );
  });
});
