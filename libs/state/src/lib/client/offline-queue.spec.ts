import { Redis } from 'ioredis';
import { getFreePort, RedisServerHandle, startRedisServer } from '@failsoft/testing';
import { createRedisClient } from './create-client';
import { isOfflineQueueFullError } from './offline-queue-full.error';
import { StateRedis } from './state-redis';

jest.setTimeout(30_000);

/** The bounded offline queue StateRedis owns (the wrapped ioredis client is never patched). */
describe('StateRedis offline queue (real redis-server)', () => {
  const clients: StateRedis[] = [];
  const servers: RedisServerHandle[] = [];
  const quiet = { logger: { warn: () => undefined }, errorLogIntervalMs: 60_000 };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });
  const client = (port: number, extra: Omit<Parameters<typeof createRedisClient>[0], 'port'> = {}): StateRedis => {
    const c = createRedisClient({ retryBaseMs: 20, retryMaxMs: 100, ...quiet, ...extra, port });
    clients.push(c);
    return c;
  };

  it('wraps an ioredis client instead of extending it; the wrapped client keeps ioredis defaults', async () => {
    const c = client(await getFreePort(), { lazyConnect: true });
    expect(c).not.toBeInstanceOf(Redis);
    expect(c.connection).toBeInstanceOf(Redis);
    expect(Object.prototype.hasOwnProperty.call(c.connection, 'sendCommand')).toBe(false);
    expect(c.connection.sendCommand).toBe(Redis.prototype.sendCommand);
  });

  it('keeps order across commands and pipelines queued while down, and sends them once connected', async () => {
    const port = await getFreePort();
    const c = client(port, { maxOfflineQueue: 10 });
    const first = c.rpush('order', 'a');
    const tx = c.multi().rpush('order', 'b').rpush('order', 'c').exec();
    const last = c.rpush('order', 'd');
    expect(c.offlineQueueLength).toBe(4);
    servers.push(await startRedisServer({ port }));
    expect(await first).toBe(1);
    expect(await tx).toEqual([
      [null, 2],
      [null, 3],
    ]);
    expect(await last).toBe(4);
    expect(await c.lrange('order', 0, -1)).toEqual(['a', 'b', 'c', 'd']);
    expect(c.offlineQueueLength).toBe(0);
  });

  it('admits a pipeline whole while there is room (it may pass the bound), then rejects everything', async () => {
    const port = await getFreePort();
    const c = client(port, { maxOfflineQueue: 2 });
    const one = c.set('one', '1');
    const pipeline = c.pipeline().set('p1', '1').set('p2', '2').set('p3', '3').exec();
    expect(c.offlineQueueLength).toBe(4);
    const rejected = await c.get('one').catch((e: unknown) => e);
    expect(isOfflineQueueFullError(rejected)).toBe(true);
    expect(rejected).toMatchObject({ code: 'OFFLINE_QUEUE_FULL', limit: 2, command: 'get' });
    servers.push(await startRedisServer({ port }));
    expect(await one).toBe('OK');
    expect((await pipeline)?.map(([error, value]) => [error, value])).toEqual([
      [null, 'OK'],
      [null, 'OK'],
      [null, 'OK'],
    ]);
    expect(await c.mget('p1', 'p2', 'p3')).toEqual(['1', '2', '3']);
  });

  it('a queued command times out after commandTimeoutMs and frees its room', async () => {
    const c = client(await getFreePort(), { maxOfflineQueue: 1, commandTimeoutMs: 300, maxRetriesPerRequest: 1000 });
    const queued = c.get('x').catch((e: unknown) => e);
    expect(isOfflineQueueFullError(await c.get('y').catch((e: unknown) => e))).toBe(true);
    expect(await queued).toMatchObject({ message: 'Command timed out' });
    expect(c.offlineQueueLength).toBe(0);
    // room again: the next command is queued, not rejected
    const again = c.get('z').catch((e: unknown) => e);
    expect(c.offlineQueueLength).toBe(1);
    expect(await again).toMatchObject({ message: 'Command timed out' });
  });

  it('fails what waits after maxRetriesPerRequest reconnection attempts, as ioredis does', async () => {
    const c = client(await getFreePort(), { maxOfflineQueue: 5, maxRetriesPerRequest: 2, commandTimeoutMs: 20_000 });
    let attempts = 0;
    c.on('reconnecting', () => attempts++);
    const error = await c.get('x').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'MaxRetriesPerRequestError', message: expect.stringMatching(/^Reached the max retries per request limit \(which is 2\)/) });
    expect(attempts).toBe(3);
    expect(c.offlineQueueLength).toBe(0);
  });

  it('close() fails the queued commands with "Connection is closed." and later commands the same', async () => {
    const c = client(await getFreePort(), { maxOfflineQueue: 5, commandTimeoutMs: 20_000 });
    const queued = c.get('x').catch((e: unknown) => e);
    await c.close();
    expect(await queued).toMatchObject({ message: 'Connection is closed.' });
    expect(c.offlineQueueLength).toBe(0);
    expect(await c.get('y').catch((e: unknown) => e)).toMatchObject({ message: 'Connection is closed.' });
  });

  it('lazyConnect: the first command connects; node-style callbacks still work; multi({ pipeline: false }) is refused clearly', async () => {
    const server = await startRedisServer();
    servers.push(server);
    const c = client(server.port, { lazyConnect: true });
    expect(c.status).toBe('wait');
    const reply = await new Promise((resolve, reject) => c.set('cb', 'v', (error, value) => (error ? reject(error) : resolve(value))));
    expect(reply).toBe('OK');
    expect(c.status).toBe('ready');
    expect(() => c.multi({ pipeline: false } as never)).toThrow('StateRedis.multi() takes an optional list of commands; got {"pipeline":false}');
    expect(await c.pipeline([['get', 'cb']]).exec()).toEqual([[null, 'v']]);
  });
});
