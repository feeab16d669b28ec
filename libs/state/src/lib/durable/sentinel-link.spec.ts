import { getFreePort, redisCommand, startSentinelTopology, testTopologyAuth, type SentinelTopology } from '@failsoft/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SentinelLink, type SentinelLinkOptions } from './sentinel-link';

jest.setTimeout(60_000);

/** The lean sentinel connection behind the sentinel check, against real sentinels that require a password. */
describe('SentinelLink (real master + 1 replica + 3 sentinels, with passwords)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'failsoft-link-spec-'));
  const auth = testTopologyAuth(dir);
  let topology: SentinelTopology;
  let masterRunId: string;
  let replica: string;
  let masterPort: number;
  const links: SentinelLink[] = [];
  const link = (overrides: Partial<SentinelLinkOptions> = {}): SentinelLink => {
    const { host, port } = topology.sentinels[0];
    const made = new SentinelLink({ host, port, masterName: topology.masterName, password: auth.sentinelPassword, timeoutMs: 5000, ...overrides });
    links.push(made);
    return made;
  };

  beforeAll(async () => {
    topology = await startSentinelTopology({ replicas: 1, sentinels: 3, quorum: 2, auth });
    const master = await topology.currentMaster();
    masterPort = master.port;
    masterRunId = /run_id:(\w+)/.exec(String(await redisCommand(master.port, ['INFO', 'server'], { password: auth.adminPassword })))?.[1] ?? '';
    replica = `127.0.0.1:${topology.servers.find((s) => s.port !== master.port)?.port}`;
  });
  afterEach(() => {
    for (const made of links.splice(0)) made.shutdown();
  });
  afterAll(async () => {
    await topology?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('authenticates first and answers with the master run_id and the promotable replica', async () => {
    expect(masterRunId).toMatch(/^[0-9a-f]{40}$/);
    const expected = { runId: masterRunId, address: `127.0.0.1:${masterPort}`, masterFlags: 'master', promotable: [replica] };
    expect(await link().ask()).toEqual(expected);
    expect(await link({ username: 'default' }).ask()).toEqual(expected);
  });

  it('gives no answer without the right password, for an unknown master, or with nothing listening', async () => {
    expect(await link({ password: undefined }).ask()).toBeUndefined();
    expect(await link({ password: 'wrong-password' }).ask()).toBeUndefined();
    expect(await link({ masterName: 'no-such-master' }).ask()).toBeUndefined();
    expect(await link({ port: await getFreePort(), timeoutMs: 2000 }).ask()).toBeUndefined();
  });

  it('answers many questions in flight on one socket in order, replies split across reads included', async () => {
    const shared = link();
    const answers = await Promise.all(Array.from({ length: 200 }, () => shared.ask()));
    expect(answers.every((answer) => answer?.runId === masterRunId && answer.promotable.join() === replica)).toBe(true);
  });

  it('a hung sentinel gives no answer within the timeout; once it resumes, a new question gets a fresh answer', async () => {
    const sentinel = topology.sentinels[0];
    const short = link({ timeoutMs: 300 });
    expect(await short.ask()).toMatchObject({ runId: masterRunId });
    process.kill(sentinel.pid, 'SIGSTOP');
    let answer: unknown = 'pending';
    const started = Date.now();
    try {
      answer = await short.ask();
    } finally {
      process.kill(sentinel.pid, 'SIGCONT');
    }
    expect(answer).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await short.ask()).toEqual({ runId: masterRunId, address: `127.0.0.1:${masterPort}`, masterFlags: 'master', promotable: [replica] });
  });

  it('answers undefined after shutdown, without reconnecting', async () => {
    const closed = link();
    expect(await closed.ask()).toMatchObject({ runId: masterRunId });
    closed.shutdown();
    expect(await closed.ask()).toBeUndefined();
  });
});
