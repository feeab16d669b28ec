import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive, waitUntil } from '@failsoft/local-runtime';
import { failsoftPaths, type RunState } from '../run-state';
import { killLeftovers } from './leftovers';
import { RunStateStore } from './run-state-store';

/** A run-state of a dead `failsoft up` in `workspace` that started nothing but a Prometheus (`prometheus`), or nothing. */
function deadPlatform(workspace: string, prometheus?: RunState['prometheus']): RunState {
  const store = new RunStateStore(failsoftPaths(workspace), workspace, Date.now(), { processes: () => [], frontDoor: () => ({ url: '', kind: 'pending', port: null, pid: null, statsUrl: null, config: null }), redis: () => undefined, prometheus: () => prometheus }, () => undefined);
  return { ...store.snapshot(), cliPid: 999_999_999 };
}

describe('killLeftovers', () => {
  let workspace: string;
  const children: ChildProcess[] = [];

  /** A live stand-in process whose command line ends with `args` (as `node -e ... <args>` shows it in /proc). */
  function standIn(...args: string[]): number {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)', ...args], { stdio: 'ignore' });
    children.push(child);
    return child.pid as number;
  }

  beforeEach(() => {
    workspace = mkdtempSync(join(tmpdir(), 'failsoft-leftovers-'));
  });
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    rmSync(workspace, { recursive: true, force: true });
  });

  it('kills the Prometheus a SIGKILLed failsoft up left behind (its command line names its config)', async () => {
    const dir = join('.failsoft', 'prometheus');
    const pid = standIn('prometheus', `--config.file=${join(workspace, dir, 'prometheus.yml')}`, '--log.format=json');
    const previous = deadPlatform(workspace, { url: 'http://127.0.0.1:9090', pid, dir });

    expect(killLeftovers(previous)).toEqual([pid]);
    await waitUntil(() => !isProcessAlive(pid), { timeoutMs: 10_000, intervalMs: 20, message: `the stand-in Prometheus (pid ${pid}) to die` });
  });

  it('leaves alone a process under the recorded pid whose command line is not that Prometheus', () => {
    const dir = join('.failsoft', 'prometheus');
    // another platform's Prometheus (another folder), and a process that is no Prometheus at all
    const otherFolder = standIn('prometheus', `--config.file=${join(workspace, 'elsewhere', 'prometheus.yml')}`);
    const notPrometheus = standIn(`--config.file=${join(workspace, dir, 'other.yml')}`);
    for (const pid of [otherFolder, notPrometheus]) {
      expect(killLeftovers(deadPlatform(workspace, { url: 'http://127.0.0.1:9090', pid, dir }))).toEqual([]);
      expect(isProcessAlive(pid)).toBe(true);
    }
  });

  it('reads a run-state of an older version without a Prometheus, and one whose Prometheus had stopped', () => {
    const { prometheus: _none, ...old } = deadPlatform(workspace);
    expect(old).not.toHaveProperty('prometheus');
    expect(killLeftovers(old as RunState)).toEqual([]);
    expect(killLeftovers(deadPlatform(workspace, { url: 'http://127.0.0.1:9090', pid: null, dir: '.failsoft/prometheus' }))).toEqual([]);
  });
});
