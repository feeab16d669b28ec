import { ChildProcess } from 'node:child_process';
import { killAndWait, outputOf, SentinelTopology, spawnTsNode, startSentinelTopology, waitForOutput } from '@failsoft/testing';
import { createSentinelClient } from '../client/create-client';
import { StateRedis } from '../client/state-redis';
import { fencedWrite } from './fenced-write';
import { FencingError, isFencingError } from './fencing.error';

jest.setTimeout(120_000);

const FIXTURE = 'libs/state/test/fixtures/lease-candidate.fixture.ts';
const TTL_MS = 2000;
/** The candidates' retry interval when the lease is not theirs: LeaseManager's default, a third of the TTL. */
const RETRY_INTERVAL_MS = Math.floor(TTL_MS / 3);
const LEASE_KEY = 'failsoft:lease:{singleton}';

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

  /**
   * Polls the lease key's remaining TTL every `intervalMs` until it has been seen renewed (PTTL went
   * up) `renewals` times; the holder must stay the same throughout. Also measures the spread of
   * this machine right now: the longest PTTL round trip plus the worst lateness of a poll.
   */
  async function watchRenewals(holder: string, renewals: number, intervalMs = 20): Promise<{ spreadMs: number }> {
    let seen = 0;
    let last = Infinity;
    let worstRoundTrip = 0;
    let worstLateness = 0;
    let previousPoll = performance.now();
    for (let polls = 0; seen < renewals; polls++) {
      if (polls > 10 * renewals * (TTL_MS / intervalMs)) throw new Error(`the lease was renewed ${seen} times in ${polls} polls; expected ${renewals}`);
      const sent = performance.now();
      worstLateness = Math.max(worstLateness, sent - previousPoll - intervalMs);
      const [value, pttl] = await Promise.all([client.get(LEASE_KEY), client.pttl(LEASE_KEY)]);
      worstRoundTrip = Math.max(worstRoundTrip, performance.now() - sent);
      expect(value).toBe(holder);
      if (pttl > last) seen++;
      last = pttl;
      previousPoll = performance.now();
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    return { spreadMs: Math.ceil(worstRoundTrip + worstLateness) };
  }

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
    // while A renews (the key's TTL seen going up 3 times, more than a whole TTL), B stays standby
    const { spreadMs } = await watchRenewals(`${tokenA}:A`, 3);
    expect(outputOf(b)).not.toMatch(/ACQUIRED/);

    await killAndWait(a, 'SIGKILL');
    // A is dead: nothing renews the key any more; when it expires is known to within a round trip
    const sent = Date.now();
    const pttl = await client.pttl(LEASE_KEY);
    const expiresNoEarlierThan = sent + pttl;
    const expiresNoLaterThan = Date.now() + pttl;
    const [, token, at] = await waitForOutput(b, /ACQUIRED token=(\d+) at=(\d+)/, TTL_MS + 30_000);
    const tokenB = Number(token);
    expect(tokenB).toBe(tokenA + 1);
    // safety: B never took the lease before A's term expired
    expect(Number(at)).toBeGreaterThanOrEqual(expiresNoEarlierThan);
    // liveness, the lease's own bound (not a speed figure): B retries at least every retry interval
    // (right at the expiry when it saw it coming), within the spread measured on this machine just now
    const bound = RETRY_INTERVAL_MS + 2 * spreadMs + 1;
    expect({ acquiredAfterExpiryMs: Number(at) - expiresNoLaterThan, withinBound: Number(at) - expiresNoLaterThan <= bound, bound, spreadMs }).toMatchObject({ withinBound: true });

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
