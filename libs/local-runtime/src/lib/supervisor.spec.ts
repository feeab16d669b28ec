import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from './process-registry';
import { waitUntil } from './wait-until';
import { backoffDelay, Supervisor } from './supervisor';

/** Real, short-lived node children. */
const node = (code: string) => ({ command: process.execPath, args: ['-e', code] });
const LONG_RUNNING = 'setInterval(() => {}, 1000)';

describe('Supervisor (real child processes)', () => {
  let dir: string;
  let supervisor: Supervisor | undefined;
  let lines: string[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'failsoft-cli-supervisor-'));
    lines = [];
  });
  afterEach(async () => {
    supervisor?.killAllNow();
    supervisor = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const make = (options: ConstructorParameters<typeof Supervisor>[0] = {}) => {
    supervisor = new Supervisor({ initialBackoffMs: 20, maxBackoffMs: 160, log: (line) => lines.push(line), ...options });
    return supervisor;
  };

  it('computes an exponential backoff with a cap', () => {
    expect([0, 1, 2, 3, 4, 5, 10].map((n) => backoffDelay(n))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
  });

  it('restarts a crashing child with a growing backoff, up to the cap', async () => {
    const sup = make();
    const delays: number[] = [];
    const pids: number[] = [];
    sup.on('restart-scheduled', (e) => delays.push(e.delayMs));
    sup.on('spawn', (e) => pids.push(e.pid));
    sup.start({ id: 'crasher', ...node('process.exit(1)') });
    await waitUntil(() => delays.length >= 6, { timeoutMs: 15_000, message: '6 restarts' });
    await sup.stopAll();
    expect(delays.slice(0, 6)).toEqual([20, 40, 80, 160, 160, 160]);
    expect(new Set(pids).size).toBeGreaterThanOrEqual(6); // a new process each time
    expect(lines[0]).toBe('[supervisor] crasher exited (code 1); restarting in 20 ms');
    expect(lines[1]).toBe('[supervisor] crasher exited (code 1); restarting in 40 ms');
    expect(sup.status('crasher')?.restarts).toBeGreaterThanOrEqual(5);
  }, 20_000);

  it('kill() signals the child as a crash would (restarted); stop() holds it down until startAgain()', async () => {
    const sup = make();
    sup.start({ id: 'likes-2', ...node(LONG_RUNNING) });
    const first = sup.status('likes-2')?.pid as number;
    expect(sup.kill('likes-2', 'SIGKILL')).toBe(first);
    await waitUntil(() => sup.status('likes-2')?.pid !== first && sup.status('likes-2')?.state === 'running', { timeoutMs: 5000, message: 'a restart' });
    const second = sup.status('likes-2')?.pid as number;
    await sup.stop('likes-2', { signal: 'SIGKILL' });
    expect(sup.status('likes-2')?.state).toBe('stopped');
    await new Promise((resolve) => setTimeout(resolve, 200)); // well past the 20 ms backoff: still down
    expect(sup.status('likes-2')?.state).toBe('stopped');
    expect(isProcessAlive(second)).toBe(false);
    expect(sup.kill('likes-2')).toBeUndefined(); // nothing to signal while held down
    sup.startAgain('likes-2');
    expect(sup.status('likes-2')?.state).toBe('running');
    expect(isProcessAlive(sup.status('likes-2')?.pid as number)).toBe(true);
    expect(sup.status('likes-2')?.restarts).toBe(2);
    sup.startAgain('likes-2'); // running: left alone
    expect(sup.status('likes-2')?.restarts).toBe(2);
    expect(() => sup.kill('nope')).toThrow(/no process with id "nope"/);
  }, 10_000);

  it('restarts a SIGKILLed child and names the signal', async () => {
    const sup = make();
    sup.start({ id: 'likes-1', ...node(LONG_RUNNING) });
    const first = sup.status('likes-1')?.pid as number;
    process.kill(first, 'SIGKILL');
    await waitUntil(() => sup.status('likes-1')?.pid !== first && sup.status('likes-1')?.state === 'running', { timeoutMs: 5000, message: 'a restart' });
    expect(lines).toContain('[supervisor] likes-1 exited (SIGKILL); restarting in 20 ms');
    expect(isProcessAlive(sup.status('likes-1')?.pid as number)).toBe(true);
    expect(sup.status('likes-1')?.restarts).toBe(1);
  }, 10_000);

  it('starts again from the initial delay once a child stayed up long enough', async () => {
    const sup = make({ resetAfterMs: 150 });
    const delays: number[] = [];
    sup.on('restart-scheduled', (e) => delays.push(e.delayMs));
    sup.start({ id: 'flaky', ...node('setTimeout(() => process.exit(3), 400)') });
    await waitUntil(() => delays.length >= 3, { timeoutMs: 10_000, message: '3 restarts' });
    await sup.stopAll();
    expect(delays.slice(0, 3)).toEqual([20, 20, 20]);
  }, 15_000);

  it('gives up on exit code 78 (configuration error) with a clear message and the log tail', async () => {
    const sup = make();
    const logFile = join(dir, 'logs', 'gateway-1.log');
    const gaveUp: string[] = [];
    sup.on('gave-up', (e) => gaveUp.push(`${e.id}: ${e.reason}`));
    const spawns: number[] = [];
    sup.on('spawn', (e) => spawns.push(e.pid));
    sup.start({ id: 'gateway-1', ...node('process.stderr.write("gateway: invalid configuration:\\n  - AUTH_SECRET is required\\n"); process.exit(78)'), logFile });
    await waitUntil(() => gaveUp.length === 1, { timeoutMs: 5000, message: 'giving up' });
    await new Promise((resolve) => setTimeout(resolve, 300)); // no restart happens meanwhile
    expect(spawns).toHaveLength(1);
    expect(gaveUp).toEqual(['gateway-1: exited with code 78 (configuration error)']);
    expect(sup.status('gateway-1')?.state).toBe('failed');
    const message = lines.join('\n');
    expect(message).toContain('[supervisor] gateway-1 exited with code 78 (configuration error); not restarting it');
    expect(message).toContain(logFile);
    expect(message).toContain('AUTH_SECRET is required');
  }, 10_000);

  it('captures stdout and stderr of every run into the log file', async () => {
    const sup = make();
    const logFile = join(dir, 'logs', 'feed-1.log');
    sup.start({ id: 'feed-1', ...node('console.log("hello from stdout"); console.error("hello from stderr"); process.exit(2)'), logFile });
    await waitUntil(() => (sup.status('feed-1')?.restarts ?? 0) >= 1, { timeoutMs: 5000, message: 'a restart' });
    await sup.stopAll();
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain('hello from stdout');
    expect(log).toContain('hello from stderr');
    expect(log).toMatch(/failsoft: starting feed-1 \(restart #1\)/);
    expect(log).toMatch(/failsoft: feed-1 exited \(code 2\)/);
  }, 10_000);

  it('stops every child on shutdown (SIGTERM) and restarts none of them', async () => {
    const sup = make();
    const exits: string[] = [];
    sup.on('exit', (e) => exits.push(`${e.id}:${e.signal ?? e.code}:${e.expected}`));
    sup.start({ id: 'a', ...node(LONG_RUNNING) });
    sup.start({ id: 'b', ...node(LONG_RUNNING) });
    const pids = [sup.status('a')?.pid as number, sup.status('b')?.pid as number];
    await sup.stopAll();
    expect(pids.every((pid) => !isProcessAlive(pid))).toBe(true);
    expect(exits.sort()).toEqual(['a:SIGTERM:true', 'b:SIGTERM:true']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sup.list().map((s) => s.state)).toEqual(['stopped', 'stopped']);
    expect(lines.filter((l) => l.includes('restarting'))).toEqual([]);
    expect(() => sup.start({ id: 'c', ...node(LONG_RUNNING) })).toThrow(/while stopping/);
  }, 10_000);

  it('SIGKILLs a child that ignores SIGTERM after the stop timeout', async () => {
    const sup = make({ stopTimeoutMs: 300 });
    const logFile = join(dir, 'stubborn.log');
    sup.start({ id: 'stubborn', logFile, ...node('process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)') });
    // it prints "ready" once its handler is installed (a fixed pause was flaky on a busy machine)
    await waitUntil(() => readFileSync(logFile, 'utf8').includes('\nready'), { timeoutMs: 10_000, intervalMs: 20, message: 'the stubborn child to install its SIGTERM handler' });
    const pid = sup.status('stubborn')?.pid as number;
    await sup.stopAll();
    expect(isProcessAlive(pid)).toBe(false);
    expect(sup.status('stubborn')?.lastExit?.signal).toBe('SIGKILL');
    expect(lines.join('\n')).toContain('stubborn did not exit 300 ms after SIGTERM; sending SIGKILL');
  }, 10_000);

  it('does not restart a child in backoff once shutdown begins', async () => {
    const sup = make({ initialBackoffMs: 300 });
    const spawns: number[] = [];
    sup.on('spawn', (e) => spawns.push(e.pid));
    sup.start({ id: 'crasher', ...node('process.exit(1)') });
    await waitUntil(() => sup.status('crasher')?.state === 'backoff', { timeoutMs: 5000, message: 'backoff' });
    await sup.stopAll();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(spawns).toHaveLength(1);
    expect(sup.status('crasher')?.state).toBe('stopped');
  }, 10_000);
});
