import { ChildProcess } from 'node:child_process';
import { killAndWait, outputOf, SentinelTopology, spawnTsNode, startSentinelTopology, waitForOutput } from '@failsoft/testing';
import { createSentinelClient } from '../client/create-client';
import { StateRedis } from '../client/state-redis';
import { fencedWrite } from './fenced-write';
import { FencingError, isFencingError } from './fencing.error';

jest.setTimeout(120_000);

const FIXTURE = 'libs/state/test/fixtures/lease-candidate.fixture.ts';
const TTL_MS = 2000;
/** Process scheduling, stdout and a durable WAIT on a 2-core machine shared by several test runs. */
const SLACK_MS = 1500;

describe('leader election across processes (real Sentinel topology)', () => {
  let topology: SentinelTopology;
  let client: StateRedis;
  const children: ChildProcess[] = [];
  const candidate = (id: string): ChildProcess => {
    const sentinels = topology.sentinels.map((s) => `${s.host}:${s.port}`).join(',');
    const child = spawnTsNode(FIXTURE, [sentinels, topology.masterName, 'singleton', String(TTL_MS), id]);
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    topology = await startSentinelTopology();
    client = createSentinelClient({ sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })), masterName: topology.masterName });
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => killAndWait(c, 'SIGKILL')));
    await client?.close();
    await topology?.stop();
  });

  it('SIGKILL of the leader process: the standby leads within the lease TTL, and the old token is fenced off', async () => {
    const a = candidate('A');
    const tokenA = Number((await waitForOutput(a, /ACQUIRED token=(\d+)/, 60_000))[1]);
    await waitForOutput(a, /WROTE token=/, 10_000);
    const b = candidate('B');
    await waitForOutput(b, /READY/, 60_000);
    // while A renews, B stays standby
    await new Promise((resolve) => setTimeout(resolve, TTL_MS));
    expect(await client.get('failsoft:lease:{singleton}')).toBe(`${tokenA}:A`);

    await killAndWait(a, 'SIGKILL');
    const killedAt = Date.now();
    const [, token, at] = await waitForOutput(b, /ACQUIRED token=(\d+) at=(\d+)/, TTL_MS + 30_000);
    const tokenB = Number(token);
    expect(tokenB).toBe(tokenA + 1);
    // liveness bound of the design (not a speed figure): the lease key expires at most TTL after
    // A's last renewal, and B retries right when it expires
    expect(Number(at) - killedAt).toBeLessThanOrEqual(TTL_MS + SLACK_MS);

    const stale = await fencedWrite(client, 'singleton', tokenA, ['RPUSH', 'fixture:{singleton}:log', 'A:stale']).catch((e: unknown) => e);
    expect(isFencingError(stale)).toBe(true);
    expect((stale as FencingError).code).toBe('STALE_FENCING_TOKEN');
    await waitForOutput(b, new RegExp(`WROTE token=${tokenB}`), 10_000);
    const log = await client.lrange('fixture:{singleton}:log', 0, -1);
    expect(log).not.toContain('A:stale');
    expect(log).toContain(`B:${tokenB}`);
  });

  it('a leader paused (SIGSTOP) past its TTL is replaced, and when resumed its write is fenced and it steps down', async () => {
    const current = Number((await client.get('failsoft:lease:{singleton}'))?.split(':')[0]);
    const leader = children.find((c) => c.exitCode === null && c.signalCode === null) as ChildProcess;
    const c = candidate('C');
    await waitForOutput(c, /READY/, 60_000);
    leader.kill('SIGSTOP');
    let tokenC = 0;
    try {
      tokenC = Number((await waitForOutput(c, /ACQUIRED token=(\d+)/, TTL_MS + 30_000))[1]);
      expect(tokenC).toBe(current + 1);
    } finally {
      leader.kill('SIGCONT');
    }
    // the resumed leader's in-flight write (old token) is rejected, and it learns it lost the lease
    await waitForOutput(leader, new RegExp(`FENCED token=${current}`), 10_000);
    expect(outputOf(leader)).toMatch(new RegExp(`LOST token=${current} reason=(fenced|expired)`));
    // the shared log never has an older token after a newer one
    await waitForOutput(c, new RegExp(`WROTE token=${tokenC}`), 10_000);
    const tokens = (await client.lrange('fixture:{singleton}:log', 0, -1)).map((entry) => Number(entry.split(':')[1]));
    expect(tokens).toEqual([...tokens].sort((x, y) => x - y));
    expect(tokens[tokens.length - 1]).toBe(tokenC);
  });
});
