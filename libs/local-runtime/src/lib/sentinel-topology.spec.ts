import { existsSync } from 'node:fs';
import { isProcessAlive } from './process-registry';
import { pairsToMap, parseInfo, redisCommand } from './redis-command';
import { SentinelTopology, startSentinelTopology } from './sentinel-topology';
import { isInvalidRuntimeOptionsError } from './local-runtime.error';
import { waitUntil } from './wait-until';

jest.setTimeout(60_000);

describe('startSentinelTopology', () => {
  let topology: SentinelTopology;

  beforeAll(async () => {
    topology = await startSentinelTopology();
  });
  afterAll(async () => {
    await topology?.stop();
  });

  it('starts 1 master, 2 replicas and 3 sentinels (quorum 2) that agree', async () => {
    expect(topology.masterName).toBe('failsoft');
    expect(topology.servers).toHaveLength(3);
    expect(topology.sentinels).toHaveLength(3);
    const ports = [...topology.servers.map((s) => s.port), ...topology.sentinels.map((s) => s.port)];
    expect(ports).not.toContain(6379);
    expect(new Set(ports).size).toBe(6);
    const master = await topology.currentMaster();
    expect(master).toEqual({ host: '127.0.0.1', port: topology.servers[0].port });
    for (const sentinel of topology.sentinels) {
      const state = pairsToMap(await redisCommand(sentinel.port, ['SENTINEL', 'MASTER', 'failsoft']));
      expect(state['quorum']).toBe('2');
      expect(state['num-slaves']).toBe('2');
      expect(state['num-other-sentinels']).toBe('2');
    }
    expect(topology.serverAt(master.port)).toBe(topology.servers[0]);
    expect(() => topology.serverAt(1)).toThrow(/no data node of this topology listens on port 1/);
  });

  it('settles with a fast hello period and leaves every sentinel at the default period (2000 ms) once they agree', async () => {
    for (const sentinel of topology.sentinels) {
      const periods = pairsToMap(await redisCommand(sentinel.port, ['SENTINEL', 'DEBUG']));
      expect(periods['PUBLISH-PERIOD'] ?? periods['publish-period']).toBe('2000');
    }
  });

  it('fails over after SIGKILL of the master, and a restarted node rejoins as a replica', async () => {
    const before = await topology.currentMaster();
    await redisCommand(before.port, ['SET', 'before-kill', '1']);
    await redisCommand(before.port, ['WAIT', '2', '1000']);
    const old = await topology.killMaster();
    expect(old.port).toBe(before.port);
    expect(isProcessAlive(old.pid)).toBe(false);
    const next = await topology.waitForFailover(before);
    expect(next.port).not.toBe(before.port);
    expect(await redisCommand(next.port, ['GET', 'before-kill'])).toBe('1');
    expect(await topology.currentMaster()).toEqual(next);

    const restarted = await topology.restart(old);
    expect(restarted.port).toBe(old.port);
    await waitUntil(async () => parseInfo(String(await redisCommand(restarted.port, ['INFO', 'replication'])))['master_link_status'] === 'up', {
      timeoutMs: 15_000,
      message: 'the restarted node to sync with the new master',
    });
    expect(await redisCommand(restarted.port, ['GET', 'before-kill'])).toBe('1');
  });

  it('fails over after SIGSTOP of the master, and SIGCONT makes the old master a replica', async () => {
    const before = await topology.currentMaster();
    const hung = await topology.killMaster('SIGSTOP');
    try {
      const next = await topology.waitForFailover(before);
      expect(next.port).not.toBe(before.port);
    } finally {
      topology.resume(hung);
    }
    await waitUntil(
      async () => {
        const info = parseInfo(String(await redisCommand(hung.port, ['INFO', 'replication'])));
        return info['role'] === 'slave' && info['master_link_status'] === 'up';
      },
      { timeoutMs: 20_000, intervalMs: 200, message: 'the resumed old master to rejoin as a replica' },
    );
  });

  it('keeps answering with one sentinel stopped', async () => {
    const stopped = topology.sentinels[2];
    await topology.stopSentinel(2);
    expect(isProcessAlive(stopped.pid)).toBe(false);
    const master = await topology.currentMaster();
    expect((await redisCommand(master.port, ['ROLE']) as unknown[])[0]).toBe('master');
  });
});

describe('startSentinelTopology options and teardown', () => {
  it('rejects invalid options naming the bad value', async () => {
    const cases: Array<[object, string]> = [
      [{ replicas: -1 }, 'topology.replicas must be an integer from 0 to 16; got -1'],
      [{ quorum: 4 }, 'topology.quorum must be an integer from 1 to 3; got 4'],
      [{ downAfterMs: 'soon' }, 'topology.downAfterMs must be an integer >= 100; got "soon"'],
      [{ masterName: 'has space' }, 'topology.masterName must be 1-64 characters of [A-Za-z0-9_.-]; got "has space"'],
    ];
    for (const [options, message] of cases) {
      const error = await startSentinelTopology(options).catch((e: unknown) => e);
      expect(isInvalidRuntimeOptionsError(error)).toBe(true);
      expect((error as Error).message).toBe(message);
    }
  });

  it('stop() kills only its own pids, removes its dir, and is idempotent', async () => {
    const small = await startSentinelTopology({ replicas: 1, sentinels: 1, quorum: 1, masterName: 'small' });
    const pids = [...small.servers.map((s) => s.pid), ...small.sentinels.map((s) => s.pid)];
    expect(pids.every(isProcessAlive)).toBe(true);
    await Promise.all([small.stop(), small.stop()]);
    expect(pids.some(isProcessAlive)).toBe(false);
    expect(existsSync(small.dir)).toBe(false);
    await small.stop();
  });
});
