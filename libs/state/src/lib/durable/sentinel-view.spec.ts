import { SentinelTopology, redisCommand, startSentinelTopology, waitUntil } from '@failsoft/testing';
import { SentinelView, SentinelViewUnconfirmed } from './sentinel-view';

/** Commands a sentinel has processed so far (a sentinel has no commandstats; its peers' PINGs count too, about 2 a second). */
async function commandsOf(port: number): Promise<number> {
  const info = String(await redisCommand(port, ['INFO', 'stats']));
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? NaN);
}

/** SENTINEL MASTER as a map, from the sentinel on `port`. */
async function masterAsSeenBy(port: number, masterName: string): Promise<Record<string, string>> {
  const reply = (await redisCommand(port, ['SENTINEL', 'MASTER', masterName])) as unknown[];
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) fields[String(reply[i])] = String(reply[i + 1]);
  return fields;
}

/** Runs `body` while `processes` are stopped (SIGSTOP: they hang, connections stay open), then resumes them. */
async function whileHung<T>(processes: ReadonlyArray<{ pid: number }>, body: () => Promise<T>): Promise<T> {
  for (const { pid } of processes) process.kill(pid, 'SIGSTOP');
  try {
    return await body();
  } finally {
    for (const { pid } of processes) process.kill(pid, 'SIGCONT');
  }
}

jest.setTimeout(40_000);

/** The sentinels' view behind rule replicaSet 'sentinel', against real sentinels. */
describe('SentinelView (real master + 2 replicas + 3 sentinels)', () => {
  let topology: SentinelTopology;
  let view: SentinelView;
  let masterRunId: string;

  beforeAll(async () => {
    topology = await startSentinelTopology();
    // a per-query timeout far beyond the test's: a check that waited for a hung sentinel could not pass
    view = new SentinelView({ sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })), masterName: topology.masterName, timeoutMs: 120_000 });
    masterRunId = (await view.check(process.hrtime.bigint())).masterRunId;
  });
  /** A view of the same sentinels with its own per-query timeout (shut down at the end of the test). */
  const shortViews: SentinelView[] = [];
  const shortView = (timeoutMs: number): SentinelView => {
    const made = new SentinelView({ sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })), masterName: topology.masterName, timeoutMs });
    shortViews.push(made);
    return made;
  };
  afterEach(() => {
    for (const made of shortViews.splice(0)) made.shutdown();
  });
  afterAll(async () => {
    view?.shutdown();
    await topology?.stop();
  });

  it('names the master by run_id and lists both replicas as promotable', async () => {
    const snapshot = await view.check(process.hrtime.bigint());
    expect(snapshot.masterRunId).toMatch(/^[0-9a-f]{40}$/);
    expect(snapshot.masterRunId).toBe(masterRunId);
    expect(snapshot.known).toBe(3);
    expect(snapshot.agreeing).toBeGreaterThanOrEqual(2);
    const master = await topology.currentMaster();
    expect(snapshot.promotable).toEqual(topology.servers.filter((s) => s.port !== master.port).map((s) => `127.0.0.1:${s.port}`).sort());
  });

  it('a hung sentinel does not hold up the check: the others are asked, and it goes to the back of the line', async () => {
    // the first in line (a check asks two of the three, the ones that answered lately)
    const hung = topology.sentinels[0];
    const snapshot = await whileHung([hung], () => view.check(process.hrtime.bigint()));
    expect(snapshot).toMatchObject({ masterRunId, agreeing: 2, known: 3 });
    // later checks ask the two that answered: each asks two commands of each (SENTINEL MASTER + REPLICAS)
    const [hungBefore, otherBefore] = [await commandsOf(hung.port), await commandsOf(topology.sentinels[1].port)];
    for (let i = 0; i < 5; i++) await view.check(process.hrtime.bigint());
    const [hungAfter, otherAfter] = [await commandsOf(hung.port), await commandsOf(topology.sentinels[1].port)];
    expect(otherAfter - otherBefore).toBeGreaterThanOrEqual(10);
    expect(hungAfter - hungBefore).toBeLessThan(10);
  });

  it('with two of three hung, the check waits for a majority and refuses once none can come', async () => {
    const short = shortView(500);
    const outcome = await whileHung(topology.sentinels.slice(1), () => short.check(process.hrtime.bigint()).catch((error: unknown) => error));
    expect(outcome).toBeInstanceOf(SentinelViewUnconfirmed);
    expect((outcome as Error).message).toBe('only 1 of 3 sentinels answered (2 needed)');
  });

  it("a sentinel that has not read the master's run_id yet agrees by address: with another one hung, the check still confirms", async () => {
    // SENTINEL RESET makes a sentinel forget the master's run_id (as a failover does) until its
    // next INFO of the master, 10 s after the last one: reset just after an INFO, so the window is long
    const [reset, identified, hung] = topology.sentinels;
    await waitUntil(async () => Number((await masterAsSeenBy(reset.port, topology.masterName))['info-refresh']) < 1000, { timeoutMs: 15_000, message: 'sentinel 1 to have just read INFO from the master' });
    expect(await redisCommand(reset.port, ['SENTINEL', 'RESET', topology.masterName])).toBe(1);
    const forgot = await waitUntil(
      async () => {
        const seen = await masterAsSeenBy(reset.port, topology.masterName);
        return seen.flags === 'master' ? seen : undefined;
      },
      { timeoutMs: 5_000, message: 'the reset sentinel to reach the master again' },
    );
    expect(forgot.runid ?? '').toBe('');
    // a timeout short enough that a check that waited for the hung one fails here, not by the test's timeout
    const short = shortView(2000);
    const snapshot = await whileHung([hung], () => short.check(process.hrtime.bigint()));
    expect(snapshot).toMatchObject({ masterRunId, agreeing: 2, known: 3 });
    // the premise held through the check: the reset one still did not know the run_id
    expect((await masterAsSeenBy(reset.port, topology.masterName)).runid ?? '').toBe('');
    expect((await masterAsSeenBy(identified.port, topology.masterName)).runid).toBe(masterRunId);
  });
});
