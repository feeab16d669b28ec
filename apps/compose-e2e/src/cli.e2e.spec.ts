import { waitUntil } from '@failsoft/testing';
import { compose, containers, failsoft, masterName, progress, waitForAllHealthy } from './support/compose';
import { expect503, fixture, type Fixture } from './support/platform';

/**
 * The same `failsoft` commands as locally, with `--compose`, run as a user runs them (the real CLI
 * in a child process) against the compose project of this run (COMPOSE_PROJECT_NAME and
 * FRONT_DOOR_PORT in the environment, as `docker compose` itself reads them).
 */

jest.setTimeout(300_000);

let f: Fixture;

beforeAll(async () => {
  f = await fixture(2);
});

afterEach(async () => {
  await compose(['start', 'likes-2', 'sentinel-2']);
  await waitForAllHealthy(180_000);
});

/** Keys of one scenario in `failsoft scenario ... --json`, the same locally and with --compose. */
const SCENARIO_KEYS = ['acknowledgedWrites', 'availability', 'degradedShare', 'endpoints', 'errorsByCause', 'lostAcknowledgedWrites', 'met', 'name', 'p99Ms', 'readBack', 'recoverySeconds', 'requests', 'resentAfterReset', 'target', 'uncertainLikeStates', 'unverifiedWrites'];

it('status --compose lists every container with zone, restarts and readiness, and the Redis roles', async () => {
  const run = await failsoft(['status', '--compose']);
  expect(run.code).toBe(0);
  for (const id of ['upload-1', 'upload-2', 'likes-1', 'likes-2', 'feed-1', 'feed-2', 'gateway-1', 'gateway-2', 'front-door-1', 'front-door-2']) {
    expect(run.stdout).toMatch(new RegExp(`^${id}\\s+\\S+\\s+(zone-[ab]\\s+)?restarts \\d+\\s+running, ready$`, 'm'));
  }
  const master = await masterName();
  expect(run.stdout).toContain(`redis: master ${master}:6379`);
  const json = JSON.parse((await failsoft(['status', '--compose', '--json'])).stdout) as { kind: string; instances: Array<{ id: string; zone: string | null; restarts: number }> };
  expect(json.kind).toBe('compose');
  expect(json.instances.find((i) => i.id === 'likes-1')?.zone).toBe('zone-a');
});

it('kill --hold --compose holds a container down until revive --compose brings it back ready', async () => {
  const kill = await failsoft(['kill', 'likes-2', '--hold', '--compose']);
  expect({ code: kill.code, out: kill.stdout }).toEqual({ code: 0, out: expect.stringMatching(/killed \(SIGKILL\) likes-2( \(pid \d+\))?; it stays down until: failsoft revive likes-2 --compose/) });
  const status = JSON.parse((await failsoft(['status', '--compose', '--json'])).stdout) as { instances: Array<{ id: string; state: string }> };
  expect(status.instances.find((i) => i.id === 'likes-2')?.state).toBe('held');
  const revive = await failsoft(['revive', 'likes-2', '--compose']);
  expect({ code: revive.code, out: revive.stdout }).toEqual({ code: 0, out: expect.stringMatching(/ready: likes-2/) });
  expect((await containers()).get('likes-2')).toMatchObject({ state: 'running', health: 'healthy' });
});

it('bad arguments change nothing and exit 2 with what exists', async () => {
  const before = await containers();
  const run = await failsoft(['kill', 'likes-9', '--compose']);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/unknown service or instance "likes-9"; the platform runs .*likes \(likes-1, likes-2\)/);
  const after = await containers();
  expect([...after.values()].map((c) => [c.service, c.state, c.restarts])).toEqual([...before.values()].map((c) => [c.service, c.state, c.restarts]));
});

it('redis failover --compose moves the master to another container; sentinel kill/revive --compose', async () => {
  const before = await masterName();
  const run = await failsoft(['redis', 'failover', '--compose']);
  expect(run.code).toBe(0);
  const after = await masterName();
  expect(after).not.toBe(before);
  expect(run.stdout).toContain(`the master is now ${after}:6379 (was ${before}:6379)`);
  expect((await failsoft(['sentinel', 'kill', '2', '--compose'])).code).toBe(0);
  expect((await containers()).get('sentinel-2')?.state).toBe('exited');
  expect((await failsoft(['sentinel', 'revive', '2', '--compose'])).code).toBe(0);
  await waitUntil(async () => (await containers()).get('sentinel-2')?.health === 'healthy', { timeoutMs: 60_000, intervalMs: 500, message: 'sentinel-2 healthy again' });
});

it('fault --compose: an abort rule on likes makes likes unavailable, --list shows it, --clear ends it', async () => {
  const add = await failsoft(['fault', 'likes', 'Like', '--abort', '100', '--for', '2m', '--compose']);
  expect(add.code).toBe(0);
  const list = await failsoft(['fault', '--list', '--compose']);
  expect(list.stdout).toMatch(/likes.*Like.*abort 100/);
  const unavailable = await waitUntil(async () => {
    const res = await f.api.like(f.tokens.alice, f.postIds[0]);
    return res.status === 503 ? res : undefined;
  }, { timeoutMs: 30_000, intervalMs: 300, message: 'likes to answer 503 under the abort rule' });
  expect503(unavailable, 'likes');
  expect((await failsoft(['fault', '--clear', '--compose'])).code).toBe(0);
  expect((await failsoft(['fault', '--list', '--compose'])).stdout).toContain('no fault rules in force');
  await waitUntil(async () => (await f.api.like(f.tokens.alice, f.postIds[0])).status === 200, { timeoutMs: 60_000, intervalMs: 500, message: 'likes to work again once the rule is gone' });
});

describe('scenario <name> --compose --short --json: the same JSON as locally, every target met', () => {
  it.each(['kill-one-likes', 'kill-all-likes', 'redis-master-kill', 'rolling-restart', 'kill-front-door', 'stop-front-door'])('%s', async (name) => {
    progress(`scenario ${name} --compose --short --json`);
    const run = await failsoft(['scenario', name, '--compose', '--short', '--json'], 280_000);
    const last = run.stdout.trim().split('\n').pop() ?? '';
    if (run.code !== 0) throw new Error(`failsoft scenario ${name} --compose exited ${run.code}:\n${run.stdout}\n${run.stderr.slice(-4000)}`);
    const json = JSON.parse(last) as { short: boolean; scenarios: Array<Record<string, unknown>> };
    expect(json.short).toBe(true);
    expect(json.scenarios).toHaveLength(1);
    const [s] = json.scenarios;
    progress(`FIGURE compose-scenario-${name} ${JSON.stringify({ availability: s['availability'], p99Ms: s['p99Ms'], recoverySeconds: s['recoverySeconds'], lost: s['lostAcknowledgedWrites'], requests: s['requests'] })}`);
    expect(Object.keys(s).sort()).toEqual(SCENARIO_KEYS);
    expect(s).toMatchObject({ name, met: true, lostAcknowledgedWrites: 0, unverifiedWrites: 0 });
    expect(s['acknowledgedWrites']).toEqual(expect.any(Number));
    expect(s['acknowledgedWrites'] as number).toBeGreaterThan(0);
  });
});
