import { waitUntil } from '@failsoft/testing';
import { compose, containers, progress, waitForAllHealthy } from './support/compose';
import { describeResult, fixture, type Fixture } from './support/platform';

/**
 * The console's buttons under compose: deploy/docker/compose.chaos.yml adds the control agent
 * (the control API of `failsoft up`, acting through the Docker socket) and points the gateways at
 * it. The agent answers only with its token and only on the compose network.
 */

jest.setTimeout(240_000);

/** The suite's files (COMPOSE_FILE: docker-compose.yml and its override) plus the chaos file. */
const CHAOS_FILES = [...(process.env['COMPOSE_FILE'] ?? 'docker-compose.yml').split(':').flatMap((file) => ['-f', file]), '-f', 'deploy/docker/compose.chaos.yml'];
const TOKEN = 'compose-e2e-control-token-0123456789';
const OPERATOR_PASSWORD = 'compose-e2e-operator-password-0123';
/** The environment of every compose run with the chaos file (it refuses to start without OPERATOR_PASSWORD). */
const CHAOS_ENV = { ...process.env, FAILSOFT_CONTROL_TOKEN: TOKEN, OPERATOR_PASSWORD };
let f: Fixture;
let operatorToken: string;

/** `fetch` from inside gateway-1 (on the compose network), answering "<status> <body>". */
async function fromInside(url: string, token?: string): Promise<{ status: number; body: string }> {
  const script = `fetch(${JSON.stringify(url)},{headers:${JSON.stringify(token ? { authorization: `Bearer ${token}` } : {})}}).then(async r=>process.stdout.write(r.status+' '+await r.text()),e=>{process.stdout.write('0 '+e.message)})`;
  const out = await compose(['exec', '-T', 'gateway-1', 'node', '-e', script]);
  const space = out.indexOf(' ');
  return { status: Number(out.slice(0, space)), body: out.slice(space + 1) };
}

beforeAll(async () => {
  const t = Date.now();
  await compose([...CHAOS_FILES, 'up', '-d', '--wait', 'control-agent', 'gateway-1', 'gateway-2'], { env: CHAOS_ENV, timeoutMs: 240_000, stream: '[compose chaos] ' });
  await waitForAllHealthy(120_000);
  progress(`FIGURE control agent up and gateways recreated in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  f = await fixture(1);
  operatorToken = await f.api.signIn('operator' as never, OPERATOR_PASSWORD);
});

afterAll(async () => {
  // back to the plain docker-compose.yml for the other spec files
  await compose([...CHAOS_FILES, 'rm', '-s', '-f', 'control-agent'], { env: CHAOS_ENV });
  await compose(['up', '-d', '--wait', 'gateway-1', 'gateway-2'], { timeoutMs: 240_000 });
  await compose(['start', 'likes-1']);
  await waitForAllHealthy(120_000);
});

it('listens only on the compose network (no published port) and only with its token', async () => {
  const agent = (await containers()).get('control-agent');
  expect(agent?.state).toBe('running');
  expect((await compose(['ps', '--format', 'json', 'control-agent'])).includes('"PublishedPort":7070')).toBe(false);
  expect(await fromInside('http://control-agent:7070/v1/status')).toMatchObject({ status: 401, body: expect.stringContaining('UNAUTHENTICATED') });
  expect(await fromInside('http://control-agent:7070/v1/status', 'wrong-token-0123456789')).toMatchObject({ status: 401 });
  const status = await fromInside('http://control-agent:7070/v1/status', TOKEN);
  expect(status.status).toBe(200);
  const body = JSON.parse(status.body) as { kind: string; instances: Array<{ id: string; state: string }>; redis: { master: string | null } };
  expect(body.kind).toBe('compose');
  expect(body.instances.map((i) => i.id).sort()).toEqual(['feed-1', 'feed-2', 'front-door-1', 'front-door-2', 'gateway-1', 'gateway-2', 'likes-1', 'likes-2', 'upload-1', 'upload-2']);
  expect(body.redis.master).toMatch(/^redis-[123]:6379$/);
});

it('the console buttons work: kill likes-1 holds its container down, revive brings it back', async () => {
  const actAs = (token: string, body: unknown) =>
    f.api.request<{ ok: boolean; action: string }>('/api/console/actions', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body), timeoutMs: 60_000 });
  const act = (body: unknown) => actAs(operatorToken, body);
  // a demo user may look, not act
  expect((await actAs(f.tokens.alice, { action: 'kill', target: 'likes-1' })).status).toBe(403);
  expect((await containers()).get('likes-1')?.state).toBe('running');
  const killed = await act({ action: 'kill', target: 'likes-1' });
  if (killed.status !== 200) throw new Error(describeResult(killed, 'the console kill action'));
  expect(killed.json).toMatchObject({ ok: true, action: 'kill' });
  expect((await containers()).get('likes-1')?.state).toBe('exited');
  const revived = await act({ action: 'revive', target: 'likes-1' });
  if (revived.status !== 200) throw new Error(describeResult(revived, 'the console revive action'));
  await waitUntil(async () => (await containers()).get('likes-1')?.health === 'healthy', { timeoutMs: 90_000, intervalMs: 500, message: 'likes-1 healthy after the console revived it' });
  const bad = await act({ action: 'kill', target: 'likes-9' });
  expect(bad.status).toBeGreaterThanOrEqual(400);
  expect(bad.status).toBeLessThan(500);
});
