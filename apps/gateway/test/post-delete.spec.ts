import type { INestApplication } from '@nestjs/common';
import { bootstrapService } from '@failsoft/sidecar/nest';
import { startSentinelTopology, waitUntil, type SentinelTopology } from '@failsoft/testing';
import { gatewayBootstrapOptions } from '../src/app/gateway.bootstrap';
import { FakePlatform } from './fake-platform';
import { gatewaySpecEnv, ONE_PIXEL_PNG, SPEC_SECRETS } from './gateway-spec-support';

/**
 * `DELETE /api/posts/:id` on the real gateway app against real gRPC upstreams (fake-platform.ts)
 * found through discovery in a real Redis behind Sentinel: only the author deletes (204), anyone
 * else gets 403 `NOT_AUTHOR` and nothing changes, a second delete is 404, a malformed id is 400
 * before the write limit is charged, no sign-in is 401, upload down is 503 + Retry-After; a
 * deleted post is gone from `GET /api/posts/:id` and from the feed.
 */
jest.setTimeout(60_000);

const RATE_LIMIT = 8;

let topology: SentinelTopology;
let platform: FakePlatform;
let gateway: INestApplication;
let url: string;
let alice: string;
let bob: string;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly code: string | undefined;
}

async function send(path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(`${url}${path}`, init);
  const text = await res.text();
  let code: string | undefined;
  if (text !== '') {
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  }
  return { status: res.status, headers: res.headers, text, code };
}

async function signIn(user: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password: 'failsoft' }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

async function createPost(token: string, caption: string): Promise<string> {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(ONE_PIXEL_PNG)], { type: 'image/png' }), 'photo.png');
  form.append('caption', caption);
  const res = await fetch(`${url}/api/posts`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  expect(res.status).toBe(201);
  return ((await res.json()) as { post: { id: string } }).post.id;
}

function deletePost(id: string, token?: string): Promise<Answer> {
  return send(`/api/posts/${id}`, { method: 'DELETE', headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
}

async function feedIds(): Promise<string[]> {
  const res = await fetch(`${url}/api/feed?limit=50`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: Array<{ id: string }> }).items.map((item) => item.id);
}

beforeAll(async () => {
  topology = await startSentinelTopology({ replicas: 0, sentinels: 1 });
  platform = new FakePlatform({ redisPort: (await topology.currentMaster()).port, token: SPEC_SECRETS.token, uploadMaxBytes: 64 * 1024 });
  await Promise.all([platform.start('upload'), platform.start('likes'), platform.start('feed')]);
  const env = gatewaySpecEnv(topology, SPEC_SECRETS, 'gateway-delete', { RATE_LIMIT_WRITES: String(RATE_LIMIT), RATE_LIMIT_WINDOW_MS: '60000', BREAKER_RESET_MS: '1000' });
  gateway = await bootstrapService(gatewayBootstrapOptions(env));
  url = (await gateway.getUrl()).replace('[::1]', '127.0.0.1');
  await waitUntil(async () => ((await (await fetch(`${url}/api/health`)).json()) as { status: string }).status === 'ok', { timeoutMs: 15_000, message: 'the gateway to discover every part' });
  [alice, bob] = await Promise.all([signIn('alice'), signIn('bob')]);
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await platform?.shutdown();
  await topology?.stop();
});

describe('DELETE /api/posts/:id', () => {
  it('lets only the author delete: 403 NOT_AUTHOR changes nothing, 204 removes the post from GET and the feed, again is 404', async () => {
    const kept = await createPost(alice, 'kept');
    const doomed = await createPost(alice, 'doomed');
    expect(await feedIds()).toEqual(expect.arrayContaining([kept, doomed]));

    expect(await deletePost(doomed)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    const refused = await deletePost(doomed, bob);
    expect(refused).toMatchObject({ status: 403, code: 'NOT_AUTHOR' });
    expect(refused.text).toMatch(/only its author may delete it/);
    expect((await send(`/api/posts/${doomed}`)).status).toBe(200); // negative control: still there
    expect(await feedIds()).toContain(doomed);

    const deleted = await deletePost(doomed, alice);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect(deleted.headers.get('ratelimit-remaining')).not.toBeNull();
    expect(await send(`/api/posts/${doomed}`)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(await send(`/api/posts/${doomed}/image`)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const feed = await feedIds();
    expect(feed).not.toContain(doomed);
    expect(feed).toContain(kept);

    expect(await deletePost(doomed, alice)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(await deletePost('p_aaaaaaaaaaaaaaaa', alice)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect((await send(`/api/posts/${kept}`)).status).toBe(200);
  });

  it('refuses a malformed id with 400 INVALID_POST_ID before charging the write limit; valid deletes are charged', async () => {
    const carol = await signIn('carol');
    for (let i = 0; i < RATE_LIMIT * 2; i++) expect(await deletePost('not-a-post-id', carol)).toMatchObject({ status: 400, code: 'INVALID_POST_ID' });
    const first = await deletePost('p_zzzzzzzzzzzzzzzz', carol);
    expect(first).toMatchObject({ status: 404 });
    expect(first.headers.get('ratelimit-remaining')).toBe(String(RATE_LIMIT - 1)); // the invalid ones spent nothing
    for (let i = 1; i < RATE_LIMIT; i++) expect((await deletePost('p_zzzzzzzzzzzzzzzz', carol)).status).toBe(404);
    const limited = await deletePost('p_zzzzzzzzzzzzzzzz', carol);
    expect(limited).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
  });

  it('answers 503 UPLOAD_UNAVAILABLE + Retry-After while upload is down, deleting nothing; works again after', async () => {
    const post = await createPost(bob, 'outage');
    await platform.stop('upload');
    try {
      const down = await deletePost(post, bob);
      expect(down).toMatchObject({ status: 503, code: 'UPLOAD_UNAVAILABLE' });
      expect(Number(down.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(down.text).toMatch(/deleting posts is unavailable right now; try again in \d+ s/);
      expect(platform.data.posts.has(post)).toBe(true);
    } finally {
      await platform.start('upload');
    }
    await waitUntil(async () => (await deletePost(post, bob)).status === 204, { timeoutMs: 15_000, message: 'deletes to work again' });
    expect(platform.data.posts.has(post)).toBe(false);
  });
});
