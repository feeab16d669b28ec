import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { getFreePort, isProcessAlive, waitUntil } from '@failsoft/testing';
// eslint-disable-next-line @nx/enforce-module-boundaries
import type { RunState } from '../../cli/src/app/run-state';
import { progress, workspace } from './support/commands';

/**
 * What the README promises about `npm start` (`failsoft up`) as a process, with the real CLI as a
 * child process and real signals: the next start kills what a SIGKILLed one left behind; Ctrl-C
 * stops everything in order and exits 0; a second Ctrl-C kills everything at once. And (issue 11)
 * the first start on a fresh folder of files prints the operator password it generated, once,
 * with where it is kept; the next start on the same folder does not print it again.
 */
jest.setTimeout(420_000);

const stateDir = join(workspace, 'tmp', 'chaos-e2e', 'up-lifecycle');
const runStateFile = join(stateDir, 'run-state.json');
const secretsFile = join(stateDir, 'secrets.json');

/** The operator password `failsoft up` keeps in the secrets file of `stateDir`. */
const storedOperatorPassword = (): string => (JSON.parse(readFileSync(secretsFile, 'utf8')) as { operatorPassword: string }).operatorPassword;

interface Up {
  child: ChildProcess;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `failsoft up` (the sources, as `npm start` runs them) on a free front-door port, and waits until it is ready. */
async function startUp(): Promise<{ up: Up; state: RunState }> {
  const register = require.resolve('@swc-node/register', { paths: [workspace] });
  const project = join(workspace, 'tsconfig.base.json');
  const port = await getFreePort();
  const startedAt = Date.now();
  const child = spawn(process.execPath, ['-r', register, join(workspace, 'apps', 'cli', 'src', 'main.ts'), 'up'], {
    cwd: workspace,
    env: { ...process.env, FAILSOFT_PROMETHEUS: '', SWC_NODE_PROJECT: project, TS_NODE_PROJECT: project, FAILSOFT_STATE_DIR: stateDir, FRONT_DOOR_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const up: Up = { child, output: () => output, exit };
  const state = await waitUntil(
    () => {
      if (child.exitCode !== null) throw new Error(`failsoft up exited with ${child.exitCode}:\n${output.slice(-3000)}`);
      if (!existsSync(runStateFile)) return undefined;
      const s = JSON.parse(readFileSync(runStateFile, 'utf8')) as RunState;
      return s.readyAt && !s.stoppedAt && Date.parse(s.readyAt) >= startedAt - 1000 && isProcessAlive(s.cliPid) ? s : undefined;
    },
    { timeoutMs: 300_000, intervalMs: 250, message: 'failsoft up to be ready' },
  );
  progress(`failsoft up ready at ${state.frontDoor.url} (runner pid ${state.cliPid})`);
  return { up, state };
}

/** Every pid a run-state lists: the runner, the services, the front doors, Redis servers and sentinels, Prometheus. */
function pidsOf(state: RunState): number[] {
  return [
    state.cliPid,
    ...state.processes.map((p) => p.pid),
    state.frontDoor.pid,
    ...(state.frontDoor.instances ?? []).map((i) => i.pid),
    ...state.redis.servers.map((s) => s.pid),
    ...state.redis.sentinels.map((s) => s.pid),
    state.prometheus?.pid,
  ].filter((pid): pid is number => typeof pid === 'number');
}

/** True when a `prometheus` binary is installed (then `failsoft up` runs one; FAILSOFT_PROMETHEUS=off is cleared for these tests). */
const prometheusInstalled = (process.env['PATH'] ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, 'prometheus')));

/** Live processes whose command line names `stateDir` (every process a platform on it starts but the CLI in front), with their command lines. */
function processesOnStateDir(): Array<{ pid: number; cmd: string }> {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => ({ pid: Number(name), cmd: commandLineOf(Number(name)) }))
    .filter((p) => p.pid !== process.pid && p.cmd.includes(stateDir) && isProcessAlive(p.pid));
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

const alive = (pids: readonly number[]): number[] => pids.filter((pid) => isProcessAlive(pid));

describe('failsoft up as a process (real CLI, real signals)', () => {
  let running: Up | undefined;

  beforeAll(() => rmSync(stateDir, { recursive: true, force: true }));

  afterAll(async () => {
    // whatever a failed test left: one Ctrl-C, then a second one
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGINT');
      await waitUntil(() => running?.child.exitCode !== null, { timeoutMs: 60_000, message: 'failsoft up to stop' }).catch(() => running?.child.kill('SIGKILL'));
    }
  });

  it('the next start kills what a SIGKILLed failsoft up left behind', async () => {
    const first = await startUp();
    running = first.up; // stopped by afterAll if an expectation below fails before the SIGKILL
    // a fresh folder of files (beforeAll removed it): the generated operator password is printed with where it is kept
    const password = storedOperatorPassword();
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(first.up.output()).toMatch(/console actions .* need the user "operator"; its password, shown this once:/);
    expect(first.up.output()).toContain(`[operator]   ${password}\n`);
    expect(first.up.output()).toContain(`(kept in ${relative(workspace, secretsFile)}, mode 0600;`);
    const before = pidsOf(first.state);
    expect(before.length).toBeGreaterThanOrEqual(15); // runner, 8 services, haproxy, 3 redis, 3 sentinels
    // the local Prometheus runs when installed, and the run-state names it (so the next start can kill it)
    if (prometheusInstalled) expect(first.state.prometheus?.pid).toEqual(expect.any(Number));
    const prometheusPid = first.state.prometheus?.pid ?? undefined;
    // SIGKILL the runner and the CLI in front of it: nothing gets to stop the children
    process.kill(first.state.cliPid, 'SIGKILL');
    first.up.child.kill('SIGKILL');
    await first.up.exit;
    await waitUntil(() => !isProcessAlive(first.state.cliPid), { timeoutMs: 10_000, message: 'the runner to die' });
    const leftBehind = alive(before);
    progress(`left behind by the SIGKILLed failsoft up: ${leftBehind.length} processes`);
    expect(leftBehind.length).toBeGreaterThanOrEqual(10); // the test is not vacuous: there were leftovers
    if (prometheusPid !== undefined) expect(leftBehind).toContain(prometheusPid);

    const second = await startUp();
    running = second.up;
    // everything the first run left behind is gone; the new platform runs other processes
    expect(alive(leftBehind)).toEqual([]);
    // nor any process of the first run the run-state did not list: whatever names the folder of files belongs to the second
    const secondPids = new Set(pidsOf(JSON.parse(readFileSync(runStateFile, 'utf8')) as RunState));
    expect(processesOnStateDir().filter((p) => !secondPids.has(p.pid))).toEqual([]);
    expect(second.state.processes.map((p) => p.pid).filter((pid) => pid !== null && leftBehind.includes(pid))).toEqual([]);
    expect(second.up.output()).toMatch(/left behind|leftover/i);
    // the same folder of files: the same operator password, not printed again
    expect(storedOperatorPassword()).toBe(password);
    expect(second.up.output()).not.toContain(password);
    expect(second.up.output()).not.toMatch(/\[operator\]/);
  });

  it('Ctrl-C stops everything and exits 0', async () => {
    if (!running) throw new Error('no failsoft up from the previous test');
    const state = JSON.parse(readFileSync(runStateFile, 'utf8')) as RunState;
    const pids = pidsOf(state);
    running.child.kill('SIGINT');
    const { code } = await running.exit;
    running = undefined;
    expect(code).toBe(0);
    await waitUntil(() => alive(pids).length === 0, { timeoutMs: 30_000, message: `every process of the platform to be gone (alive: ${alive(pids).join(', ')})` });
    expect(alive(pids)).toEqual([]);
  });

  it('a second Ctrl-C kills everything at once', async () => {
    const { up, state } = await startUp();
    running = up;
    const pids = pidsOf(state);
    const first = Date.now();
    up.child.kill('SIGINT');
    // the orderly stop has begun (services drain first); the CLI treats two signals within 300 ms as one Ctrl-C
    await waitUntil(() => /\[stop\]/.test(up.output()) && Date.now() - first > 300, { timeoutMs: 30_000, intervalMs: 20, message: 'the orderly stop to begin' });
    // the CLI takes a signal within 300 ms of the last one it forwarded as the same Ctrl-C (npm may relay one twice), and
    // this process cannot see when it forwarded the first: press again until the runner took the second Ctrl-C (or ended)
    await waitUntil(
      () => {
        if (/again: killing everything now/.test(up.output()) || up.child.exitCode !== null) return true;
        up.child.kill('SIGINT');
        return false;
      },
      { timeoutMs: 10_000, intervalMs: 400, message: 'the runner to take the second Ctrl-C' },
    );
    const { code } = await up.exit;
    running = undefined;
    if (code === 0) progress(`the second Ctrl-C did not kill; output of failsoft up:\n${up.output().slice(-3000)}`);
    expect(code).not.toBe(0); // killed, not the orderly stop's exit 0
    await waitUntil(() => alive(pids).length === 0, { timeoutMs: 15_000, message: `every process to be killed (alive: ${alive(pids).join(', ')})` });
    expect(up.output()).not.toMatch(/everything stopped in/);
  });
});
