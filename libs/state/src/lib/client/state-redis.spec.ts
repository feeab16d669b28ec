import { getFreePort, RedisServerHandle, redisCommand, startRedisServer, waitUntil } from '@failsoft/testing';
import { createRedisClient } from './create-client';
import { isOfflineQueueFullError } from './offline-queue-full.error';
import { StateRedis } from './state-redis';

jest.setTimeout(30_000);

describe('StateRedis (real redis-server)', () => {
  const clients: StateRedis[] = [];
  const servers: RedisServerHandle[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it('bounds the offline queue: beyond maxOfflineQueue commands fail fast, queued ones run after reconnect', async () => {
    const port = await getFreePort();
    const lines: string[] = [];
    const client = createRedisClient({ port, maxOfflineQueue: 3, retryMaxMs: 100, logger: { warn: (m) => lines.push(m) }, errorLogIntervalMs: 60_000 });
    clients.push(client);
    const results = Array.from({ length: 5 }, (_, i) => client.set(`q${i}`, String(i)).catch((e: unknown) => e));
    const rejected = await Promise.all(results.slice(3));
    for (const error of rejected) {
      expect(isOfflineQueueFullError(error)).toBe(true);
      expect((error as Error).message).toMatch(/^redis is unreachable and 3 commands are already queued \(maxOfflineQueue=3\); "set" was rejected/);
    }
    expect(client.offlineQueueLength).toBe(3);
    // a pipeline is admitted or rejected as a whole: no half-queued MULTI
    const tx = await client.multi().set('tx', '1').incr('tx').exec().catch((e: unknown) => e);
    expect(isOfflineQueueFullError(tx)).toBe(true);
    expect(client.offlineQueueLength).toBe(3);

    servers.push(await startRedisServer({ port }));
    expect(await Promise.all(results.slice(0, 3))).toEqual(['OK', 'OK', 'OK']);
    expect(await client.get('q2')).toBe('2');
    expect(await client.get('tx')).toBeNull();
    // connection errors while it was down were logged once, not flooded
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^redis 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`));
  });

  it('livePipeline(): built on the live connection when connected, recorded and queued as a whole while disconnected', async () => {
    const port = await getFreePort();
    const client = createRedisClient({ port, maxOfflineQueue: 10, retryMaxMs: 100, errorLogIntervalMs: 60_000, logger: { warn: () => undefined } });
    clients.push(client);
    const queued = client.livePipeline().set('lp', 'queued').incr('lp:n').exec();
    expect(client.offlineQueueLength).toBe(2);
    servers.push(await startRedisServer({ port }));
    expect(await queued).toEqual([
      [null, 'OK'],
      [null, 1],
    ]);
    await waitUntil(() => client.status === 'ready', { timeoutMs: 10_000, message: 'the client to be ready' });
    const live = client.livePipeline();
    expect(live.constructor.name).toBe('Pipeline'); // ioredis' own, not a recorded one
    expect(await live.get('lp').incr('lp:n').exec()).toEqual([
      [null, 'queued'],
      [null, 2],
    ]);
  });

  it('maxOfflineQueue 0 fails fast while disconnected', async () => {
    const client = createRedisClient({ port: await getFreePort(), maxOfflineQueue: 0, errorLogIntervalMs: 60_000, logger: { warn: () => undefined } });
    clients.push(client);
    expect(isOfflineQueueFullError(await client.get('x').catch((e: unknown) => e))).toBe(true);
  });

  it('on READONLY (its server was demoted) reconnects and resends, so the write succeeds once a master answers there', async () => {
    const master = await startRedisServer();
    const replica = await startRedisServer({ replicaOf: { host: master.host, port: master.port } });
    servers.push(master, replica);
    const client = createRedisClient({ port: replica.port, errorLogIntervalMs: 60_000 });
    clients.push(client);
    expect((await client.role())[0]).toBe('slave');
    let reconnects = 0;
    client.on('reconnecting', () => {
      // promote it (what a failover behind a fixed address looks like) after the first READONLY
      if (++reconnects === 1) void redisCommand(replica.port, ['REPLICAOF', 'NO', 'ONE']);
    });
    expect(await client.set('after-promotion', '1')).toBe('OK');
    expect(reconnects).toBeGreaterThanOrEqual(1);
    expect(await redisCommand(replica.port, ['GET', 'after-promotion'])).toBe('1');
  });

  it('counts replaced connections and closes idempotently', async () => {
    const server = await startRedisServer();
    servers.push(server);
    const client = createRedisClient({ port: server.port });
    clients.push(client);
    await client.ping();
    const before = client.connectionGeneration;
    await redisCommand(server.port, ['CLIENT', 'KILL', 'ID', String(await client.client('ID'))]);
    await waitUntil(async () => client.status === 'ready' && client.connectionGeneration > before, { message: 'reconnection' });
    expect(await client.ping()).toBe('PONG');
    await Promise.all([client.close(), client.close()]);
    expect(client.status).toBe('end');
  });
});
