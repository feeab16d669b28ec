import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChaosError } from '../chaos/chaos.error';
import type { ChaosSignal, ChaosTarget } from '../chaos/chaos-target';
import { writeRunState, type RunState } from '../run-state';
import { ControlClient, controlTargetFromRunState, NO_PLATFORM_MESSAGE, NoPlatformError } from './control.client';
import { startControlServer, type ControlServer } from './control.server';

function runState(overrides: Partial<RunState>): RunState {
  return {
    version: 1,
    cliPid: process.pid,
    workspace: '/ws',
    startedAt: new Date().toISOString(),
    readyAt: null,
    stoppedAt: null,
    frontDoor: { url: 'http://127.0.0.1:8080', kind: 'haproxy', port: 8080, pid: null, statsUrl: null, config: null },
    redis: { masterName: 'failsoft', master: null, servers: [], replicas: [], sentinels: [], dir: null },
    processes: [],
    secretsFile: '.failsoft/secrets.json',
    logsDir: '.failsoft/logs',
    ...overrides,
  };
}

/** A target that records kills and knows likes-1 only (the HTTP layer is what is under test). */
function recordingTarget(calls: string[]): ChaosTarget {
  const notUsed = async (): Promise<never> => {
    throw new Error('not used');
  };
  return {
    kind: 'local',
    url: 'http://unused',
    status: notUsed,
    instancesOf: notUsed,
    kill: async (id: string, signal: ChaosSignal) => {
      if (id !== 'likes-1') throw new ChaosError('NOT_FOUND', `no instance ${JSON.stringify(id)}; the platform runs likes-1`);
      calls.push(`kill ${id} ${signal}`);
    },
    revive: async (id: string) => {
      calls.push(`revive ${id}`);
    },
    redisFailover: async () => '127.0.0.1:7001',
    redisKillMaster: notUsed,
    redisPauseMaster: async () => {
      throw new ChaosError('CONFLICT', 'the master 127.0.0.1:7000 is already paused');
    },
    redisResume: notUsed,
    redisKillNode: notUsed,
    redisReviveNode: notUsed,
    killSentinel: notUsed,
    reviveSentinel: notUsed,
    partition: notUsed,
    heal: notUsed,
    addFault: notUsed,
    removeFault: notUsed,
    listFaults: async () => [],
    waitForHealthy: async () => undefined,
  };
}

describe('controlTargetFromRunState', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'failsoft-control-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('says how to start a platform when there is no run-state file', () => {
    const file = join(dir, 'run-state.json');
    expect(() => controlTargetFromRunState({ runState: file })).toThrow(NoPlatformError);
    expect(() => controlTargetFromRunState({ runState: file })).toThrow(NO_PLATFORM_MESSAGE);
  });

  it('refuses a stopped platform, a gone process and a platform without control channel', () => {
    const file = join(dir, 'run-state.json');
    const control = { url: 'http://127.0.0.1:1', token: 'x'.repeat(32) };
    writeRunState(file, runState({ stoppedAt: '2026-01-01T00:00:00.000Z', control }));
    expect(() => controlTargetFromRunState({ runState: file })).toThrow(/stopped at 2026-01-01/);
    const gone = spawnSync(process.execPath, ['-e', '0']).pid as number;
    writeRunState(file, runState({ cliPid: gone, control }));
    expect(() => controlTargetFromRunState({ runState: file })).toThrow(new RegExp(`its failsoft up process \\(pid ${gone}\\) is gone`));
    writeRunState(file, runState({}));
    expect(() => controlTargetFromRunState({ runState: file })).toThrow(/has no control channel/);
  });

  it('writes the run-state (it holds the token) with mode 0600', () => {
    const file = join(dir, 'run-state.json');
    writeRunState(file, runState({ control: { url: 'http://127.0.0.1:1', token: 'x'.repeat(32) } }));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const client = controlTargetFromRunState({ runState: file });
    expect(client.url).toBe('http://127.0.0.1:8080');
  });
});

describe('ControlClient (over a real control server)', () => {
  let server: ControlServer;
  const calls: string[] = [];
  beforeAll(async () => (server = await startControlServer({ target: recordingTarget(calls) })));
  afterAll(() => server.close());

  it('validates its options', () => {
    expect(() => new ControlClient({ url: 'nope', token: 't', frontDoorUrl: 'x' })).toThrow(/control url must be an http URL; got "nope"/);
    expect(() => new ControlClient({ url: 'https://127.0.0.1:1', token: 't', frontDoorUrl: 'x' })).toThrow(/http URL/);
    expect(() => new ControlClient({ url: 'http://127.0.0.1:1', token: '', frontDoorUrl: 'x' })).toThrow(/token must be a non-empty string/);
  });

  it('sends actions and gets results back', async () => {
    const client = new ControlClient({ url: server.url, token: server.token, frontDoorUrl: 'http://front' });
    await client.kill('likes-1', 'TERM');
    await client.revive('likes-1');
    expect(await client.redisFailover()).toBe('127.0.0.1:7001');
    expect(await client.listFaults()).toEqual([]);
    await client.waitForHealthy(1000);
    expect(calls).toEqual(['kill likes-1 TERM', 'revive likes-1']);
    expect(client.url).toBe('http://front');
  });

  it('turns error answers into ChaosErrors with the platform message and code', async () => {
    const client = new ControlClient({ url: server.url, token: server.token, frontDoorUrl: 'http://front' });
    await expect(client.kill('nope-1', 'KILL')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no instance "nope-1"; the platform runs likes-1' });
    await expect(client.redisPauseMaster()).rejects.toMatchObject({ code: 'CONFLICT', message: 'the master 127.0.0.1:7000 is already paused' });
    await expect(client.kill('likes-1', 'HUP' as ChaosSignal)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const wrongToken = new ControlClient({ url: server.url, token: 'y'.repeat(32), frontDoorUrl: 'http://front' });
    await expect(wrongToken.kill('likes-1', 'KILL')).rejects.toThrow(/wrong bearer token.*does not match the running platform/);
  });

  it('an unreachable control channel means no platform', async () => {
    const other = await startControlServer({ target: recordingTarget([]) });
    await other.close();
    const client = new ControlClient({ url: other.url, token: other.token, frontDoorUrl: 'http://front' });
    await expect(client.revive('likes-1')).rejects.toThrow(NoPlatformError);
    await expect(client.revive('likes-1')).rejects.toThrow(/start one with `npm start`.*does not answer: ECONNREFUSED/);
  });
});
