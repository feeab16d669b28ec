import { redisCommand, SentinelTopology, startSentinelTopology, waitUntil, parseInfo } from '@failsoft/testing';
import { createSentinelClient } from './create-client';
import { StateRedis } from './state-redis';

jest.setTimeout(90_000);

describe('createSentinelClient against a real Sentinel topology', () => {
  let topology: SentinelTopology;
  const clients: StateRedis[] = [];
  const logged: string[] = [];
  let consoleError: jest.SpyInstance;
  const connect = (extra: Parameters<typeof createSentinelClient>[0] extends infer O ? Partial<O> : never = {}): StateRedis => {
    const client = createSentinelClient({
      sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })),
      masterName: topology.masterName,
      logger: { warn: (line) => logged.push(line) },
      errorLogIntervalMs: 1000,
      ...extra,
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    consoleError = jest.spyOn(console, 'error');
    topology = await startSentinelTopology();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await topology?.stop();
    consoleError?.mockRestore();
  });

  it('connects to the master the sentinels agree on', async () => {
    const client = connect();
    expect(await client.set('hello', 'world')).toBe('OK');
    const master = await topology.currentMaster();
    expect(client.stream.remotePort).toBe(master.port);
    expect((await client.role())[0]).toBe('master');
  });

  it('SIGSTOP of the master: clients move to the new master (with or without the failover watcher); SIGCONT: the old master rejoins as a replica', async () => {
    const watching = connect();
    const lagging = connect({ watchFailover: false, commandTimeoutMs: 1000 });
    await Promise.all([watching.ping(), lagging.ping()]);
    const before = await topology.currentMaster();
    expect(lagging.stream.remotePort).toBe(before.port);

    const hung = await topology.killMaster('SIGSTOP');
    let after: { host: string; port: number };
    try {
      after = await topology.waitForFailover(before, 30_000);
      // the watching client follows +switch-master and writes again, to the new master
      await waitUntil(async () => (await watching.set('after-hang', 'yes')) === 'OK' && watching.stream.remotePort === after.port, {
        timeoutMs: 15_000,
        intervalMs: 100,
        message: 'the client to write to the new master',
      });
      expect(await redisCommand(after.port, ['GET', 'after-hang'])).toBe('yes');
    } finally {
      topology.resume(hung);
    }
    // the resumed old master is demoted by the sentinels and resyncs from the new one
    await waitUntil(
      async () => {
        const info = parseInfo(String(await redisCommand(hung.port, ['INFO', 'replication'])));
        return info['role'] === 'slave' && info['master_link_status'] === 'up' && info['master_port'] === String(after.port);
      },
      { timeoutMs: 30_000, intervalMs: 200, message: 'the old master to rejoin as a replica' },
    );
    expect(await redisCommand(hung.port, ['GET', 'after-hang'])).toBe('yes');

    // without the watcher the client still gets there: its commands time out while the master
    // hangs, and the sentinels drop its connection when they demote the old master
    await waitUntil(async () => (await lagging.set('lagging', 'ok')) === 'OK' && lagging.stream.remotePort === after.port, {
      timeoutMs: 15_000,
      intervalMs: 100,
      message: 'the client without watcher to write to the new master',
    });
    expect(await redisCommand(after.port, ['GET', 'lagging'])).toBe('ok');
  });

  it('a dead sentinel causes rate-limited log lines, never "Unhandled error event" floods', async () => {
    const client = connect();
    await client.ping();
    const stopped = topology.sentinels[2];
    logged.length = 0;
    await topology.stopSentinel(2);
    const started = Date.now();
    await waitUntil(() => logged.some((l) => l.includes(`127.0.0.1:${stopped.port}`)), { timeoutMs: 10_000, message: 'the dead sentinel to be reported' });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const seconds = (Date.now() - started) / 1000;
    // every client here retries that sentinel several times a second; each logs <= 1 line/s
    expect(logged.length).toBeLessThanOrEqual(clients.length * (Math.ceil(seconds) + 1));
    expect(consoleError.mock.calls.flat().join('\n')).not.toMatch(/Unhandled error event/);
    expect(await client.set('still', 'works')).toBe('OK');
  });
});
