import { pairsToMap, redisCommand } from './redis-command';
import { startRedisServer, startSentinelProcess, type RedisProcessHandle } from './redis-server';
import { awaitSentinelAgreement, SETTLING_PUBLISH_PERIOD_MS } from './sentinel-agreement';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWaitTimeoutError } from './local-runtime.error';

jest.setTimeout(60_000);

describe('awaitSentinelAgreement (real redis-server and sentinels)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'failsoft-agreement-'));
  const started: RedisProcessHandle[] = [];
  let master: RedisProcessHandle;
  let sentinels: RedisProcessHandle[];
  const periodOf = async (port: number): Promise<string> => {
    const map = pairsToMap(await redisCommand(port, ['SENTINEL', 'DEBUG']));
    return map['PUBLISH-PERIOD'] ?? map['publish-period'];
  };

  beforeAll(async () => {
    master = await startRedisServer({ dir: join(dir, 'master') });
    started.push(master);
    const replica = await startRedisServer({ dir: join(dir, 'replica'), replicaOf: { host: '127.0.0.1', port: master.port } });
    started.push(replica);
    sentinels = await Promise.all(
      [0, 1, 2].map((i) =>
        startSentinelProcess({ dir: join(dir, `sentinel-${i}`), masterName: 'agree', master: { host: '127.0.0.1', port: master.port }, quorum: 2, downAfterMs: 1000, failoverTimeoutMs: 3000 }),
      ),
    );
    started.push(...sentinels);
  });
  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('times out naming what it waited for when the sentinels cannot agree (replicas that do not exist), and sets the period back', async () => {
    expect(await Promise.all(sentinels.map((s) => periodOf(s.port)))).toEqual(['2000', '2000', '2000']);
    const error = await awaitSentinelAgreement({ ports: sentinels.map((s) => s.port), masterName: 'agree', masterPort: master.port, replicas: 5, timeoutMs: 1500 }).catch((e: unknown) => e);
    expect(isWaitTimeoutError(error)).toBe(true);
    expect((error as Error).message).toMatch(/the 3 sentinels to agree on the master, its 5 replicas and each other/);
    expect(await Promise.all(sentinels.map((s) => periodOf(s.port)))).toEqual(['2000', '2000', '2000']);
  });

  it('resolves once every sentinel counts the replica and the others, and sets each back to the period it had', async () => {
    await redisCommand(sentinels[2].port, ['SENTINEL', 'DEBUG', 'publish-period', 1500]);
    await awaitSentinelAgreement({ ports: sentinels.map((s) => s.port), masterName: 'agree', masterPort: master.port, replicas: 1, timeoutMs: 20_000 });
    for (const sentinel of sentinels) {
      const state = pairsToMap(await redisCommand(sentinel.port, ['SENTINEL', 'MASTER', 'agree']));
      expect([state['num-slaves'], state['num-other-sentinels']]).toEqual(['1', '2']);
    }
    expect(await Promise.all(sentinels.map((s) => periodOf(s.port)))).toEqual(['2000', '2000', '1500']);
    expect(SETTLING_PUBLISH_PERIOD_MS).toBeLessThan(1500);
  });
});
