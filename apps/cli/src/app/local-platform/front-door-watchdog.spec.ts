import { getFreePort, isPaused, Supervisor, waitUntil } from '@failsoft/local-runtime';
import { FrontDoorWatchdog } from './front-door-watchdog';

/** A real child answering GET /healthz 200 on `port` (what HAProxy's monitor URI does). */
const healthServer = (port: number) => ({
  command: process.execPath,
  args: ['-e', `require('node:http').createServer((q, r) => r.end('ok')).listen(${port}, '127.0.0.1')`],
});

describe('FrontDoorWatchdog (real child processes, real signals)', () => {
  let supervisor: Supervisor;
  let watchdog: FrontDoorWatchdog | undefined;
  const lines: string[] = [];

  beforeEach(() => {
    lines.length = 0;
    supervisor = new Supervisor({ initialBackoffMs: 20, maxBackoffMs: 160, log: () => undefined });
  });
  afterEach(() => {
    watchdog?.shutdown();
    supervisor.killAllNow();
  });

  it('replaces a hung (SIGSTOPped) process and leaves a healthy one alone', async () => {
    const [p1, p2] = [await getFreePort(), await getFreePort()];
    supervisor.start({ id: 'haproxy-1', ...healthServer(p1) });
    supervisor.start({ id: 'haproxy-2', ...healthServer(p2) });
    const doors = [
      { id: 'haproxy-1', healthUrl: `http://127.0.0.1:${p1}/healthz` },
      { id: 'haproxy-2', healthUrl: `http://127.0.0.1:${p2}/healthz` },
    ];
    watchdog = new FrontDoorWatchdog(supervisor, () => doors, { intervalMs: 50, timeoutMs: 200, misses: 2, log: (line) => lines.push(line) });
    // judged only once it answered: wait for a clean round of both
    await waitUntil(async () => (await fetch(doors[0].healthUrl)).ok && (await fetch(doors[1].healthUrl)).ok, { timeoutMs: 10_000, intervalMs: 50, message: 'both children to listen' });
    watchdog.start();
    await new Promise((resolve) => setTimeout(resolve, 300)); // a few rounds while both answer
    expect(watchdog.replacements).toBe(0);

    const hung = supervisor.status('haproxy-1')?.pid as number;
    const healthy = supervisor.status('haproxy-2')?.pid;
    supervisor.kill('haproxy-1', 'SIGSTOP');
    await waitUntil(() => isPaused(hung), { timeoutMs: 5000, message: 'haproxy-1 to be stopped' });
    // the watchdog SIGKILLs it and the supervisor starts a fresh one
    await waitUntil(() => supervisor.status('haproxy-1')?.state === 'running' && supervisor.status('haproxy-1')?.pid !== hung, { timeoutMs: 10_000, intervalMs: 20, message: 'a fresh haproxy-1' });
    expect(watchdog.replacements).toBe(1);
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^\\[front door\\] haproxy-1 \\(pid ${hung}\\) did not answer .* 2 times in a row .*hung; SIGKILL`))]);
    expect(supervisor.status('haproxy-2')?.pid).toBe(healthy);
    // the fresh one answers again and is not replaced in turn
    await waitUntil(async () => (await fetch(doors[0].healthUrl)).ok, { timeoutMs: 10_000, intervalMs: 50, message: 'the fresh haproxy-1 to answer' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(watchdog.replacements).toBe(1);
  });

  it('does not judge a process that never answered yet within its start grace, nor one the supervisor holds down', async () => {
    const port = await getFreePort();
    // a child that runs but never listens: it never answered, so it is starting, not hung
    supervisor.start({ id: 'haproxy-1', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] });
    const pid = supervisor.status('haproxy-1')?.pid;
    watchdog = new FrontDoorWatchdog(supervisor, () => [{ id: 'haproxy-1', healthUrl: `http://127.0.0.1:${port}/healthz` }], { intervalMs: 20, timeoutMs: 50, misses: 1, startGraceMs: 60_000, log: (line) => lines.push(line) });
    for (let i = 0; i < 5; i++) await watchdog.round();
    watchdog.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(supervisor.status('haproxy-1')?.pid).toBe(pid);
    expect(watchdog.replacements).toBe(0);
    await supervisor.stop('haproxy-1', { timeoutMs: 2000 });
    await watchdog.round();
    expect(lines).toEqual([]);
  });

  it('judges a process that never answered once its start grace is over (hung before its first probe)', async () => {
    const port = await getFreePort();
    supervisor.start({ id: 'haproxy-1', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] });
    const pid = supervisor.status('haproxy-1')?.pid;
    watchdog = new FrontDoorWatchdog(supervisor, () => [{ id: 'haproxy-1', healthUrl: `http://127.0.0.1:${port}/healthz` }], { intervalMs: 20, timeoutMs: 50, misses: 2, startGraceMs: 200, log: (line) => lines.push(line) });
    watchdog.start();
    await waitUntil(() => supervisor.status('haproxy-1')?.state === 'running' && supervisor.status('haproxy-1')?.pid !== pid, { timeoutMs: 10_000, intervalMs: 20, message: 'a fresh haproxy-1' });
    expect(lines[0]).toMatch(new RegExp(`^\\[front door\\] haproxy-1 \\(pid ${pid}\\) did not answer`));
  });

  it('rejects bad settings with the value named', () => {
    expect(() => new FrontDoorWatchdog(supervisor, () => [], { intervalMs: 0 })).toThrow(/intervalMs must be a positive integer; got 0/);
    expect(() => new FrontDoorWatchdog(supervisor, () => [], { misses: 1.5 })).toThrow(/misses must be a positive integer; got 1.5/);
  });
});
