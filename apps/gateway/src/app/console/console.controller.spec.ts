import type { INestApplication } from '@nestjs/common';
import { bootstrapService } from '@failsoft/sidecar/nest';
import { startSentinelTopology, waitUntil, type SentinelTopology } from '@failsoft/testing';
import { Redis } from 'ioredis';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { FakePlatform } from '../../../test/fake-platform';
import { gatewaySpecEnv } from '../../../test/gateway-spec-support';
import { action, auth, BOB_TOKEN, CONSOLE_SPEC, ControlDouble, json, MEMBER_TOKEN, signIn } from '../../../test/console-spec-support';
import { readEnvConfig, Sidecar } from '@failsoft/sidecar';
import { gatewayBootstrapOptions } from '../gateway.bootstrap';
import { gatewayEnvSchema } from '../gateway.config';
import { CONSOLE_MAX_STREAMS_PER_CLIENT, NO_CONTROL_REASON } from './console.constants';
import type { ConsoleSnapshot } from './console-snapshot.service';
import { ConsoleStreamsService } from './console-streams.service';
import { ConsoleTrafficService } from './console-traffic.service';

/**
 * The console's HTTP layer on the real gateway (its Nest app as main.ts builds it) against a real
 * Redis behind real sentinels: the snapshot (Redis from the sentinels, the trending lease, the
 * traffic window), the live stream's lifecycle and bound, and the actions' guard, validation and
 * forwarding. The control channel of `failsoft up` lives in apps/cli (which the gateway may not
 * import), so a small HTTP server speaking its contract stands in for it here; the real one is
 * driven by apps/web-e2e/src/console.e2e.spec.ts.
 */
jest.setTimeout(60_000);

const { token: TOKEN, secret: SECRET, controlToken: CONTROL_TOKEN, operatorPassword: OPERATOR_PASSWORD } = CONSOLE_SPEC;
const MEMBER = MEMBER_TOKEN;
const BOB = BOB_TOKEN;
/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

let topology: SentinelTopology;
let redis: Redis;
let fakes: FakePlatform;
const apps: INestApplication[] = [];


async function startGateway(instance: string, env: NodeJS.ProcessEnv = {}): Promise<{ app: INestApplication; url: string }> {
  const app = await bootstrapService(
    gatewayBootstrapOptions(gatewaySpecEnv(topology, { token: TOKEN, authSecret: SECRET }, instance, { OPERATOR_PASSWORD, ...env })),
  );
  apps.push(app);
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}



/** The console snapshot as a signed-in member. */
function snapshotOf(url: string): Promise<{ status: number; headers: Headers; body: ConsoleSnapshot }> {
  return json<ConsoleSnapshot>(`${url}/api/console/snapshot`, auth());
}


/** An open event stream: the raw request, the response, and the text received so far. */
interface OpenStream {
  readonly request: ClientRequest;
  readonly response: IncomingMessage;
  text: string;
}

function openStream(url: string, token: string = MEMBER, localAddress = '127.0.0.1'): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}/api/console/events`, { localAddress, headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` } }, (response) => {
      const stream: OpenStream = { request, response, text: '' };
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (stream.text += chunk));
      response.on('error', () => undefined);
      resolve(stream);
    });
    request.on('error', reject);
    request.end();
  });
}

function snapshotsIn(stream: OpenStream): ConsoleSnapshot[] {
  return [...stream.text.matchAll(/^event: snapshot\ndata: (.*)$/gm)].map((m) => JSON.parse(m[1]) as ConsoleSnapshot);
}

beforeAll(async () => {
  topology = await startSentinelTopology({ replicas: 1, sentinels: 2, quorum: 1 });
  const master = await topology.currentMaster();
  redis = new Redis({ host: master.host, port: master.port, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  fakes = new FakePlatform({ redisPort: master.port, token: TOKEN, uploadMaxBytes: 64 * 1024 });
  await fakes.start('upload');
}, 60_000);

afterAll(async () => {
  for (const app of apps.splice(0)) await app.close();
  await fakes?.shutdown();
  redis?.disconnect();
  await topology?.stop();
});

describe('console on a gateway without a control channel (docker compose, Kubernetes)', () => {
  let url: string;
  let app: INestApplication;

  beforeAll(async () => {
    ({ app, url } = await startGateway('gateway-c1'));
  });

  it('snapshots the gateway, its downstreams, Redis from the sentinels and the trending leader; control is unavailable with the reason', async () => {
    const master = await topology.currentMaster();
    await redis.set('failsoft:lease:{feed-trending}', '7:feed-2', 'PX', 60_000);
    await waitUntil(async () => (await snapshotOf(url)).body.services.find((s) => s.service === 'upload')?.instances.length === 1, {
      timeoutMs: 15_000,
      message: 'the gateway to discover the upload instance',
    });
    const { status, body } = await snapshotOf(url);
    expect(status).toBe(200);
    expect(body.gateway).toMatchObject({ id: 'gateway-c1', zone: 'zone-a', pid: process.pid });
    expect(body.services.map((s) => s.service).sort()).toEqual(['feed', 'likes', 'upload']);
    expect(body.services.find((s) => s.service === 'upload')).toMatchObject({ breaker: 'closed', instances: [{ id: 'upload-1', breaker: 'closed', ejected: false, inFlight: 0 }] });
    expect(body.services.find((s) => s.service === 'likes')?.instances).toEqual([]);
    expect(body.redis).toMatchObject({ masterName: topology.masterName, master: `${master.host}:${master.port}` });
    expect(body.redis.nodes.map((n) => n.role).sort()).toEqual(['master', 'replica']);
    expect(body.redis.nodes.every((n) => n.state === 'up')).toBe(true);
    expect(body.redis.sentinels).toHaveLength(2);
    expect(body.redis.sentinels.every((s) => s.state === 'up')).toBe(true);
    expect(body.trending).toEqual({ leader: 'feed-2', token: 7 });
    expect(body.control).toEqual({ available: false, reason: NO_CONTROL_REASON });
    expect(body.platform).toBeNull();
    await redis.del('failsoft:lease:{feed-trending}');
    await waitUntil(async () => (await snapshotOf(url)).body.trending.leader === null, { timeoutMs: 5000, message: 'the leader to clear' });
  });

  it("counts the public API's responses by class (degraded = 2xx served without a part), not the console's own", async () => {
    const token = await signIn(url);
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(PNG)], { type: 'image/png' }), 'p.png');
    const created = await json<{ post: { id: string } }>(`${url}/api/posts`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    expect(created.status).toBe(201);
    // read the window itself (snapshots are reused for a moment, so they may lag by one tick)
    const traffic = app.get(ConsoleTrafficService);
    const before = traffic.series();
    const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
    // likes has no instance: the post is served without its like count
    const post = await json<{ degraded: string[] }>(`${url}/api/posts/${created.body.post.id}`);
    expect(post.body.degraded).toEqual(['likes']);
    expect((await json(`${url}/api/nope`)).status).toBe(404);
    expect((await json(`${url}/api/health`)).status).toBe(200);
    for (let i = 0; i < 3; i++) await snapshotOf(url);
    await waitUntil(
      async () => {
        const after = traffic.series();
        return sum(after.counts.degraded) - sum(before.counts.degraded) === 1 && sum(after.counts.rejected) - sum(before.counts.rejected) === 1;
      },
      { timeoutMs: 5000, message: 'the degraded and the rejected response to be counted' },
    );
    const after = traffic.series();
    expect(after.counts.requests).toHaveLength(60);
    // the post read, the 404 and the health check; the console's own snapshots are not counted
    expect(sum(after.counts.requests) - sum(before.counts.requests)).toBe(3);
    expect(sum(after.counts.success) - sum(before.counts.success)).toBe(1);
    expect(sum(after.counts.error) - sum(before.counts.error)).toBe(0);
    await waitUntil(async () => sum((await snapshotOf(url)).body.traffic.counts.degraded) >= 1, {
      timeoutMs: 5000,
      message: 'the snapshot to carry the traffic window',
    });
  });

  it('shows the console only to signed-in users: snapshot and stream answer 401 JSON anonymously', async () => {
    for (const path of ['/api/console/snapshot', '/api/console/events']) {
      const anonymous = await json(`${url}${path}`);
      expect({ path, status: anonymous.status, code: (anonymous.body as { error?: { code?: string } }).error?.code }).toEqual({ path, status: 401, code: 'UNAUTHENTICATED' });
    }
    expect((await snapshotOf(url)).status).toBe(200);
  });

  it('refuses actions: 401 without sign-in, 403 for a member, 400 for bad bodies, 503 CONTROL_UNAVAILABLE with the reason', async () => {
    const anonymous = await action(url, { action: 'kill', target: 'likes-1' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error?.code).toBe('UNAUTHENTICATED');
    const member = await action(url, { action: 'kill', target: 'likes-1' }, await signIn(url));
    expect(member.status).toBe(403);
    expect(member.body.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/need the "operator" user/) });
    const token = await signIn(url, 'operator', OPERATOR_PASSWORD);
    const bad = await action(url, { action: 'kill', target: 'likes-1; reboot' }, token);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'INVALID_FIELD', message: expect.stringMatching(/instance id like "likes-1"/) });
    const malformed = await action(url, '{"action":', token);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error?.code).toBe('MALFORMED_JSON');
    const unknown = await action(url, { action: 'explode' }, token);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.code).toBe('INVALID_ACTION');
    const refused = await action(url, { action: 'kill-service', target: 'likes' }, token);
    expect(refused.status).toBe(503);
    expect(refused.body.error).toEqual({ code: 'CONTROL_UNAVAILABLE', message: NO_CONTROL_REASON });
    expect(refused.headers.get('retry-after')).toBe('5');
  });

  it('streams a snapshot event every tick until the client leaves, then forgets the stream', async () => {
    const streams = app.get(ConsoleStreamsService);
    const stream = await openStream(url);
    expect(stream.response.statusCode).toBe(200);
    expect(stream.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.response.headers['cache-control']).toBe('no-store');
    await waitUntil(() => snapshotsIn(stream).length >= 2, { timeoutMs: 10_000, message: 'two snapshot events' });
    const [first, second] = snapshotsIn(stream);
    expect(first.gateway.id).toBe('gateway-c1');
    expect(Date.parse(second.time)).toBeGreaterThan(Date.parse(first.time));
    expect(stream.text).toMatch(/^retry: \d+$/m);
    expect(streams.size).toBe(1);
    stream.request.destroy();
    await waitUntil(() => streams.size === 0, { timeoutMs: 5000, message: 'the gateway to forget the closed stream' });
    // HEAD answers the stream's headers and ends (no stream is kept open for it)
    const head = await fetch(`${url}/api/console/events`, { method: 'HEAD', ...auth() });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(streams.size).toBe(0);
  });

  it(`serves one user, and one address, at most ${CONSOLE_MAX_STREAMS_PER_CLIENT} streams at once (429 JSON beyond); a slot frees when one closes`, async () => {
    const streams = app.get(ConsoleStreamsService);
    const open: OpenStream[] = [];
    try {
      for (let i = 0; i < CONSOLE_MAX_STREAMS_PER_CLIENT; i++) open.push(await openStream(url));
      expect(open.every((s) => s.response.statusCode === 200)).toBe(true);
      const refused = await json(`${url}/api/console/events`, auth());
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ error: { code: 'TOO_MANY_STREAMS', message: expect.stringMatching(`at most ${CONSOLE_MAX_STREAMS_PER_CLIENT} console streams`) } });
      expect(refused.headers.get('retry-after')).toBe('5');
      // the same address as another user: refused too; another user from another address: served
      const sameAddress = await openStream(url, BOB);
      expect(sameAddress.response.statusCode).toBe(429);
      const elsewhere = await openStream(url, BOB, '127.0.0.2');
      open.push(elsewhere);
      expect(elsewhere.response.statusCode).toBe(200);
      open.shift()?.request.destroy();
      await waitUntil(() => streams.size === CONSOLE_MAX_STREAMS_PER_CLIENT, { timeoutMs: 5000, message: 'a slot to free' });
      const again = await openStream(url);
      open.push(again);
      expect(again.response.statusCode).toBe(200);
    } finally {
      for (const s of open) s.request.destroy();
    }
    await waitUntil(() => streams.size === 0, { timeoutMs: 5000, message: 'every stream to be forgotten' });
  });
});

describe('console with the control channel of `failsoft up`', () => {
  const control = new ControlDouble();
  let url: string;
  let token: string;

  beforeAll(async () => {
    await control.start();
    ({ url } = await startGateway('gateway-c2', { FAILSOFT_CONTROL_URL: control.url, FAILSOFT_CONTROL_TOKEN: CONTROL_TOKEN }));
    token = await signIn(url, 'operator', OPERATOR_PASSWORD);
  });

  afterAll(() => control.stop());

  it('merges the platform status (every process, Redis pids, faults) into the snapshot', async () => {
    const { body } = await snapshotOf(url);
    expect(body.control).toEqual({ available: true });
    expect(body.platform?.instances.map((i) => `${i.id}:${i.state}`)).toEqual(['likes-1:running', 'likes-2:held', 'gateway-1:running', 'gateway-2:held']);
    expect(body.platform?.redis.nodes[0]).toMatchObject({ pid: 200, role: 'master' });
    expect(control.calls.some((c) => c.method === 'GET' && c.path === '/v1/status')).toBe(true);
  });

  it('forwards actions with its token and answers with the result; passes on its 4xx', async () => {
    control.calls.length = 0;
    const killed = await action(url, { action: 'kill-service', target: 'likes' }, token);
    expect(killed.status).toBe(200);
    expect(killed.body).toEqual({ ok: true, action: 'kill-service', by: 'operator', result: { ok: true } });
    const failover = await action(url, { action: 'redis-failover' }, token);
    expect(failover.body).toMatchObject({ ok: true, result: { ok: true, master: '127.0.0.1:7001' } });
    await action(url, { action: 'kill', target: 'likes-1', signal: 'STOP' }, token);
    await action(url, { action: 'revive', target: 'likes-1' }, token);
    await action(url, { action: 'add-fault', fault: { service: 'likes', method: 'Counts', delayMs: 250 } }, token);
    await action(url, { action: 'clear-faults' }, token);
    const posts = control.calls.filter((c) => c.method !== 'GET');
    expect(posts.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /v1/services/likes/kill',
      'POST /v1/redis/failover',
      'POST /v1/instances/likes-1/kill',
      'POST /v1/instances/likes-1/revive',
      'POST /v1/faults',
      'DELETE /v1/faults',
    ]);
    expect(posts[2].body).toEqual({ signal: 'STOP' });
    expect(posts[4].body).toEqual({ id: expect.stringMatching(/^console-[0-9a-f]{8}$/), service: 'likes', method: 'Counts', delayMs: 250, expiresAt: expect.any(Number) });
    // the rule expires by itself: 10 minutes from now by default
    expect(Math.abs((posts[4].body as { expiresAt: number }).expiresAt - (Date.now() + 600_000))).toBeLessThan(60_000);
    const unknown = await action(url, { action: 'kill', target: 'likes-9' }, token);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toEqual({ code: 'UNKNOWN_INSTANCE', message: 'no instance likes-9 (instances: likes-1, likes-2)' });
  });

  it('says so when the control channel is gone: unavailable with the reason, actions 503', async () => {
    await control.stop();
    await waitUntil(async () => (await snapshotOf(url)).body.control.available === false, { timeoutMs: 5000, message: 'the snapshot to notice' });
    const { body } = await snapshotOf(url);
    expect(body.control.reason).toMatch(/control channel of `failsoft up` at http:\/\/127\.0\.0\.1:\d+ cannot be reached .*is the platform still running\?/);
    expect(body.platform).toBeNull();
    const refused = await action(url, { action: 'revive-service', target: 'likes' }, token);
    expect(refused.status).toBe(503);
    expect(refused.body.error?.code).toBe('CONTROL_UNAVAILABLE');
  });
});

describe('console on a gateway with a wrong control configuration', () => {
  it('refuses a control URL that is not http(s) or a short token, naming the variables (the gateway exits 78 on it)', () => {
    const base = { HTTP_PORT: '0', INSTANCE_ID: 'g', REDIS_SENTINELS: '127.0.0.1:1', FAILSOFT_TOKEN: TOKEN, AUTH_SECRET: SECRET };
    expect(() => readEnvConfig(gatewayEnvSchema, { ...base, FAILSOFT_CONTROL_URL: 'ftp://127.0.0.1:1', FAILSOFT_CONTROL_TOKEN: 'short' })).toThrow(
      expect.objectContaining({ problems: [expect.stringMatching(/^FAILSOFT_CONTROL_URL must match .*got "ftp:\/\/127.0.0.1:1"/), expect.stringMatching(/^FAILSOFT_CONTROL_TOKEN must be at least 16 characters long/)] }),
    );
    // both optional: unset is "no control channel"
    expect(readEnvConfig(gatewayEnvSchema, base)).toMatchObject({ FAILSOFT_CONTROL_URL: '', FAILSOFT_CONTROL_TOKEN: '' });
  });

  it('starts with a URL but no token, and says why the buttons are off', async () => {
    const { url } = await startGateway('gateway-c4', { FAILSOFT_CONTROL_URL: 'http://127.0.0.1:9' });
    const { body } = await snapshotOf(url);
    expect(body.control).toEqual({ available: false, reason: expect.stringMatching(/FAILSOFT_CONTROL_TOKEN is not/) });
  });
});

describe('shutdown', () => {
  it('ends open streams when the gateway closes, so they do not hold it', async () => {
    const { app, url } = await startGateway('gateway-c5');
    const stream = await openStream(url);
    const ended = new Promise<void>((resolve) => stream.response.on('end', () => resolve()));
    await waitUntil(() => snapshotsIn(stream).length >= 1, { timeoutMs: 10_000, message: 'a first snapshot' });
    apps.splice(apps.indexOf(app), 1);
    await app.close();
    await ended;
    expect(app.get(ConsoleStreamsService).size).toBe(0);
  });

  it('ends open streams as soon as the gateway starts draining (before the HTTP drain waits for open requests)', async () => {
    const { app, url } = await startGateway('gateway-c6');
    const stream = await openStream(url);
    const ended = new Promise<void>((resolve) => stream.response.on('end', () => resolve()));
    await waitUntil(() => snapshotsIn(stream).length >= 1, { timeoutMs: 10_000, message: 'a first snapshot' });
    await app.get(Sidecar).beginDrain();
    await ended;
    expect(app.get(ConsoleStreamsService).size).toBe(0);
  });
});
