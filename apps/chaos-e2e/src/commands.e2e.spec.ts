import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isPaused } from '@failsoft/local-runtime';
import { isProcessAlive, waitUntil } from '@failsoft/testing';
import { commandsDir, failsoft, pids, progress, samePids, signIn, startCommandsPlatform, workspace, type ApiUser, type Platform } from './support/commands';

/**
 * The chaos commands against a real platform: the platform of `npm start` runs in this process
 * (with its control channel), and the real `failsoft` CLI runs as a child process, finding it through
 * the run-state file in tmp/chaos-e2e/commands/, exactly as a user's second terminal does.
 */
describe('failsoft chaos commands (real CLI against a real platform)', () => {
  let platform: Platform;
  let alice: ApiUser;
  let postId: string;

  beforeAll(async () => {
    platform = await startCommandsPlatform();
    alice = await signIn(platform.url);
    const feed = await alice.call('GET', '/api/feed?limit=5');
    postId = (feed.json as { items: Array<{ id: string }> }).items[0]?.id;
    if (!postId) throw new Error(`the seeded feed has no post: ${JSON.stringify(feed.json)}`);
  });

  afterAll(async () => {
    await platform?.stop('end of commands.e2e.spec.ts');
  });

  it('status shows the instances, the Redis master and the trending leader', async () => {
    const text = await failsoft(['status']);
    expect(text.code).toBe(0);
    const instances = platform.processes().filter((p) => p.service !== 'sentinel' && p.service !== 'haproxy');
    expect(instances).toHaveLength(8);
    for (const p of instances) expect(text.stdout).toMatch(new RegExp(`^${p.id}\\s+${p.service}\\s.*\\s${p.pid}\\s.*running.*\\sready$`, 'm'));
    const master = await platform.redis.currentMaster();
    expect(text.stdout).toContain(`redis master (sentinels agree): ${master.host}:${master.port}`);
    // the lease is taken within a few seconds of start
    const json = await waitUntil(
      async () => {
        const run = await failsoft(['status', '--json']);
        const parsed = JSON.parse(run.stdout) as { chaos: { trendingLeader: string | null; breakers: Record<string, Record<string, string>> } };
        return parsed.chaos.trendingLeader ? parsed : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000, message: 'a trending leader in failsoft status --json' },
    );
    expect(platform.instancesOf('feed')).toContain(json.chaos.trendingLeader);
    expect(Object.keys(json.chaos.breakers).sort()).toEqual(platform.instancesOf('gateway'));
    // the token of the control channel never shows in status output
    expect(JSON.stringify(json)).not.toContain(platform.runState().control?.token as string);
  });

  it('the control channel is in the run-state (mode 0600) and its URL and token go to the gateways only', () => {
    const control = platform.runState().control;
    expect(control?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(statSync(join(commandsDir, 'run-state.json')).mode & 0o777).toBe(0o600);
    const environ = (id: string): string[] => readFileSync(`/proc/${platform.process(id).pid}/environ`, 'utf8').split('\0');
    for (const id of platform.instancesOf('gateway')) expect(environ(id)).toEqual(expect.arrayContaining([`FAILSOFT_CONTROL_URL=${control?.url}`, `FAILSOFT_CONTROL_TOKEN=${control?.token}`]));
    for (const id of [...platform.instancesOf('likes'), ...platform.instancesOf('feed'), ...platform.instancesOf('upload')]) expect(environ(id).filter((v) => v.startsWith('FAILSOFT_CONTROL_'))).toEqual([]);
  });

  it('kill likes/likes-1 holds it down (no restart) until revive brings it back ready', async () => {
    const before = platform.process('likes-1');
    const run = await failsoft(['kill', 'likes/likes-1']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/killed \(SIGKILL\) likes-1/);
    expect(isProcessAlive(before.pid as number)).toBe(false);
    // another CLI run takes seconds, far longer than the supervisor's first restart delay (250 ms)
    const status = JSON.parse((await failsoft(['status', '--json'])).stdout) as { processes: Array<{ id: string; state: string }> };
    expect(status.processes.find((p) => p.id === 'likes-1')?.state).toBe('held');
    expect(platform.process('likes-1')).toMatchObject({ state: 'stopped', pid: undefined, restarts: before.restarts });

    const revived = await failsoft(['revive', 'likes-1']);
    expect(revived.code).toBe(0);
    expect(revived.stdout).toMatch(/ready: likes-1/);
    const after = platform.process('likes-1');
    expect(after.state).toBe('running');
    expect(after.pid).not.toBe(before.pid);
    expect((await fetch(`${after.url}/readyz`)).status).toBe(200);
  });

  it('kill feed-1 --signal STOP pauses it; revive resumes the same process', async () => {
    const pid = platform.process('feed-1').pid as number;
    expect((await failsoft(['kill', 'feed-1', '--signal', 'STOP'])).code).toBe(0);
    expect(isPaused(pid)).toBe(true);
    expect(JSON.parse((await failsoft(['status', '--json'])).stdout).processes.find((p: { id: string }) => p.id === 'feed-1').state).toBe('paused');
    expect((await failsoft(['revive', 'feed-1'])).code).toBe(0);
    expect(isPaused(pid)).toBe(false);
    expect(platform.process('feed-1')).toMatchObject({ state: 'running', pid });
  });

  it('kill likes takes every instance down: the feed says likes is degraded; revive likes restores it', async () => {
    const run = await failsoft(['kill', 'likes']);
    expect(run.code).toBe(0);
    expect(platform.instancesOf('likes').map((id) => platform.process(id).state)).toEqual(['stopped', 'stopped']);
    await waitUntil(
      async () => {
        const feed = await alice.call('GET', '/api/feed?limit=5');
        return feed.status === 200 && (feed.json as { degraded: string[] }).degraded.includes('likes');
      },
      { timeoutMs: 30_000, intervalMs: 250, message: 'GET /api/feed to say degraded: likes' },
    );
    expect((await failsoft(['revive', 'likes'])).code).toBe(0);
    expect(platform.instancesOf('likes').map((id) => platform.process(id).state)).toEqual(['running', 'running']);
    await waitUntil(async () => (await alice.call('POST', `/api/posts/${postId}/likes`)).status === 200, { timeoutMs: 60_000, intervalMs: 500, message: 'likes to work again' });
  });

  it('redis failover moves the master', async () => {
    const before = await platform.redis.currentMaster();
    const run = await failsoft(['redis', 'failover']);
    expect(run.code).toBe(0);
    const after = await platform.redis.currentMaster();
    expect(after.port).not.toBe(before.port);
    expect(run.stdout).toContain(`the master is now ${after.host}:${after.port}`);
    await platform.redis.waitForHealthy(60_000);
  });

  it('fault likes Like --abort 100 makes likes fail through the API (503); fault --clear makes them work', async () => {
    const add = await failsoft(['fault', 'likes', 'Like', '--abort', '100', '--for', '2m']);
    expect(add.code).toBe(0);
    const id = /fault rule added: (\S+)/.exec(add.stdout)?.[1];
    expect(id).toMatch(/^likes-Like-/);
    expect((await failsoft(['fault', '--list'])).stdout).toContain(id as string);
    await waitUntil(async () => (await alice.call('POST', `/api/posts/${postId}/likes`)).status === 503, { timeoutMs: 30_000, intervalMs: 250, message: 'likes to fail with 503 under the fault' });
    // unlike is another method: not aborted
    expect((await alice.call('DELETE', `/api/posts/${postId}/likes`)).status).toBe(200);
    expect((await failsoft(['fault', '--clear'])).code).toBe(0);
    expect((await failsoft(['fault', '--list'])).stdout).toContain('no fault rules in force');
    await waitUntil(async () => (await alice.call('POST', `/api/posts/${postId}/likes`)).status === 200, { timeoutMs: 60_000, intervalMs: 500, message: 'likes to work again after fault --clear' });
  });

  it("monkey kills real processes, never a service's last live instance, and revives each victim as a new process", async () => {
    await platform.waitForHealthy(90_000);
    const services = ['likes', 'upload'] as const;
    // sample the platform all through the run: every sample must show a live instance of each service
    const fewestRunning: Record<string, number> = Object.fromEntries(services.map((s) => [s, Infinity]));
    let samples = 0;
    const sample = (): void => {
      samples++;
      for (const service of services) {
        const running = platform.instancesOf(service).filter((id) => platform.process(id).state === 'running' && isProcessAlive(platform.process(id).pid as number)).length;
        fewestRunning[service] = Math.min(fewestRunning[service], running);
      }
    };
    const sampler = setInterval(sample, 25);
    let run: Awaited<ReturnType<typeof failsoft>>;
    try {
      run = await failsoft(['monkey', '--every', '1s', '--for', '4s', '--down', '1s', '--services', services.join(',')]);
    } finally {
      clearInterval(sampler);
    }
    expect(run.code).toBe(0);
    const victims = [...run.stdout.matchAll(/^\S+ kill ((likes|upload)-\d) \(pid (\d+)\)/gm)].map((m) => ({ id: m[1], pid: Number(m[3]) }));
    expect(victims.length).toBeGreaterThanOrEqual(1);
    expect(run.stdout).toMatch(new RegExp(`${victims.length} kills, ${victims.length} revives`));
    expect((run.stdout.match(/^\S+ revive (likes|upload)-\d$/gm) ?? []).length).toBe(victims.length);
    // the sampler really watched the run, and never saw a service without a live instance
    expect(samples).toBeGreaterThan(20);
    expect(fewestRunning).toEqual({ likes: 1, upload: 1 });
    // each victim's process really died, and its instance runs again as another, ready process
    for (const victim of victims) {
      expect({ id: victim.id, alive: isProcessAlive(victim.pid) }).toEqual({ id: victim.id, alive: false });
      expect(platform.process(victim.id).pid).not.toBe(victim.pid);
    }
    expect(platform.processes().filter((p) => p.service !== 'sentinel').map((p) => [p.id, p.state])).toEqual(platform.processes().filter((p) => p.service !== 'sentinel').map((p) => [p.id, 'running']));
    await platform.waitForReady(services.flatMap((s) => platform.instancesOf(s)), 60_000);
  });

  it('bad arguments exit 2 with a clear message and kill nothing', async () => {
    await platform.waitForHealthy(90_000);
    const before = pids(platform);
    const unknown = await failsoft(['kill', 'likez']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown service or instance "likez"/);
    const noInstance = await failsoft(['kill', 'likes/likes-7']);
    expect(noInstance.code).toBe(2);
    expect(noInstance.stderr).toMatch(/no instance "likes-7" of service "likes"/);
    const badSignal = await failsoft(['kill', 'likes-1', '--signal', 'HUP']);
    expect(badSignal.code).toBe(2);
    expect(badSignal.stderr).toMatch(/--signal must be one of KILL, TERM, STOP; got "HUP"/);
    const badDuration = await failsoft(['monkey', '--every', '3x']);
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toMatch(/--every must be a duration .* got "3x"/);
    const badFault = await failsoft(['fault', 'likes', 'Like', '--abort', '150']);
    expect(badFault.code).toBe(2);
    expect(samePids(platform, before)).toBe(true);
  });

  it('no platform running: exit 1 with how to start one, and nothing killed anywhere', async () => {
    const emptyDir = join(workspace, 'tmp', 'chaos-e2e', 'commands-no-platform');
    const before = pids(platform);
    const run = await failsoft(['kill', 'likes'], { stateDir: emptyDir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no local platform is running .* start one with `npm start`/);
    // it did not act on the platform of another state dir, and left no run-state behind
    expect(samePids(platform, before)).toBe(true);
    expect(existsSync(join(emptyDir, 'run-state.json'))).toBe(false);
    progress('done');
  });
});
