import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failsoftPaths, readRunState, writeRunState, type FailsoftPaths, type RunState } from '../run-state';
import { isAlreadyRunningError } from './leftovers';
import { RunStateStore, type RunStateSources } from './run-state-store';

const sources: RunStateSources = {
  processes: () => [{ id: 'likes-1', service: 'likes', pid: 42, httpPort: 1, grpcPort: 2, zone: 'zone-a', url: 'http://127.0.0.1:1', logFile: 'x', state: 'running', restarts: 0 }],
  frontDoor: () => ({ url: 'http://127.0.0.1:8080', kind: 'haproxy', port: 8080, pid: 43, statsUrl: null, config: null }),
  redis: () => undefined,
};

/** A run-state of another `failsoft up` whose process is `pid`. */
function otherPlatform(pid: number, stoppedAt: string | null): RunState {
  const store = new RunStateStore(failsoftPaths('/nowhere'), '/nowhere', Date.now(), sources, () => undefined);
  return { ...store.snapshot(), cliPid: pid, stoppedAt, processes: [] };
}

describe('RunStateStore', () => {
  let workspace: string;
  let paths: FailsoftPaths;
  let other: ChildProcess | undefined;

  beforeEach(() => {
    workspace = mkdtempSync(join(tmpdir(), 'failsoft-run-state-'));
    paths = failsoftPaths(workspace);
  });
  afterEach(() => {
    other?.kill('SIGKILL');
    other = undefined;
    rmSync(workspace, { recursive: true, force: true });
  });

  it('refuses the folder of a platform that still runs, and never writes over its run-state', () => {
    // a live process whose command line names `up`, as a running `failsoft up` does
    other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'up'], { stdio: 'ignore' });
    writeRunState(paths.runState, otherPlatform(other.pid as number, null));
    const before = readFileSync(paths.runState, 'utf8');
    const warnings: string[] = [];
    const store = new RunStateStore(paths, workspace, Date.now(), sources, (line) => warnings.push(line));
    let refused: unknown;
    try {
      store.claim();
    } catch (error) {
      refused = error;
    }
    expect(isAlreadyRunningError(refused)).toBe(true);
    expect((refused as Error).message).toContain(`the platform is already running here (pid ${other.pid}`);
    store.save();
    store.update({ stoppedAt: new Date().toISOString() });
    expect(readFileSync(paths.runState, 'utf8')).toBe(before);
    expect(warnings).toEqual([]);
  });

  it('takes the folder of a stopped platform, moves its logs aside, and writes what its sources say', () => {
    writeRunState(paths.runState, otherPlatform(process.pid + 1_000_000, new Date().toISOString()));
    mkdirSync(paths.logs, { recursive: true });
    writeFileSync(join(paths.logs, 'likes-1.log'), 'old run\n');
    const store = new RunStateStore(paths, workspace, Date.now(), sources, () => undefined);
    expect(store.claim()).toEqual([]);
    expect(existsSync(join(paths.logs, 'previous', 'likes-1.log'))).toBe(true);
    store.update({ control: { url: 'http://127.0.0.1:7070', token: 't'.repeat(32) } });
    const written = readRunState(paths.runState) as RunState;
    expect(written.cliPid).toBe(process.pid);
    expect(written.processes.map((p) => p.id)).toEqual(['likes-1']);
    expect(written.frontDoor.pid).toBe(43);
    expect(written.control?.url).toBe('http://127.0.0.1:7070');
    store.update({ control: undefined });
    expect((readRunState(paths.runState) as RunState).control).toBeUndefined();
  });
});
