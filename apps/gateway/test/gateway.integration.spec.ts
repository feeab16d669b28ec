import type { INestApplication } from '@nestjs/common';
import { bootstrapService } from '@failsoft/sidecar/nest';
import { startSentinelTopology, waitUntil, type SentinelTopology } from '@failsoft/testing';
import { SessionTokenService } from '../src/app/auth/session-token.service';
import { RouteCatalogService } from '../src/app/common/route-catalog.service';
import { gatewayBootstrapOptions } from '../src/app/gateway.bootstrap';
import { OPENAPI_DOCUMENT } from '../src/app/openapi/openapi.document';
import { FakePlatform } from './fake-platform';
import { gatewaySpecEnv, ONE_PIXEL_PNG, rawRequest as raw, SPEC_SECRETS } from './gateway-spec-support';

/**
 * The real gateway (its Nest app as main.ts builds it, on a free port) against real upstream gRPC
 * servers in this process (see fake-platform.ts), found through discovery in a real Redis behind
 * a real Sentinel. Tests run in order and share the platform; each leaves every part running.
 */
jest.setTimeout(60_000);

const TOKEN = SPEC_SECRETS.token;
const SECRET = SPEC_SECRETS.authSecret;
const UPLOAD_MAX_BYTES = 64 * 1024;
const RATE_LIMIT = 40;
const PNG = ONE_PIXEL_PNG;

let topology: SentinelTopology;
let platform: FakePlatform;
const gateways: INestApplication[] = [];
let urlA: string;
let urlB: string;

interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

interface ErrorBody {
  error: { code: string; message: string; [key: string]: unknown };
}

async function startGateway(instance: string): Promise<string> {
  const env = gatewaySpecEnv(topology, { token: TOKEN, authSecret: SECRET }, instance, {
    ZONE: undefined, // the default zone
    BREAKER_RESET_MS: '1000',
    RATE_LIMIT_WRITES: String(RATE_LIMIT),
    RATE_LIMIT_WINDOW_MS: '30000',
    UPLOAD_MAX_BYTES: String(UPLOAD_MAX_BYTES),
  });
  const app = await bootstrapService(gatewayBootstrapOptions(env));
  gateways.push(app);
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

async function call<T = Record<string, unknown>>(url: string, init: RequestInit = {}): Promise<JsonResponse<T>> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: T;
  try {
    body = JSON.parse(text) as T;
  } catch {
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, headers: res.headers, body };
}


async function signIn(url: string, user: string): Promise<string> {
  const res = await call<{ token: string }>(`${url}/api/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password: 'failsoft' }) });
  expect(res.status).toBe(200);
  return res.body.token;
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function imageForm(bytes: Buffer, fileName = 'photo.png', caption?: string, type = 'image/png'): FormData {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(bytes)], { type }), fileName);
  if (caption !== undefined) form.append('caption', caption);
  return form;
}

function expectJsonError(res: { status: number; headers: Headers; body: unknown }, status: number, code?: string): ErrorBody['error'] {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const error = (res.body as ErrorBody).error;
  expect(typeof error?.code).toBe('string');
  expect(typeof error?.message).toBe('string');
  expect(error.message.length).toBeGreaterThan(0);
  if (code !== undefined) expect(error.code).toBe(code);
  return error;
}

function retryAfterOf(res: { headers: Headers }): number {
  const value = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(value)).toBe(true);
  expect(value).toBeGreaterThanOrEqual(1);
  return value;
}

async function createPost(url: string, token: string, caption: string, key?: string): Promise<JsonResponse<{ post: { id: string; likeCount: number | null }; replayed: boolean }>> {
  return call(`${url}/api/posts`, { method: 'POST', headers: { ...bearer(token), ...(key ? { 'idempotency-key': key } : {}) }, body: imageForm(PNG, 'photo.png', caption) });
}

type FeedBody = { items: Array<{ id: string; likeCount: number | null; likeCountStale: boolean; likedByViewer: boolean | null }>; nextCursor: string | null; degraded: string[]; lastGoodAt?: string };

beforeAll(async () => {
  topology = await startSentinelTopology({ replicas: 0, sentinels: 1 });
  const master = await topology.currentMaster();
  platform = new FakePlatform({ redisPort: master.port, token: TOKEN, uploadMaxBytes: UPLOAD_MAX_BYTES });
  await Promise.all([platform.start('upload'), platform.start('likes'), platform.start('feed')]);
  urlA = await startGateway('gateway-a');
  urlB = await startGateway('gateway-b');
  for (const url of [urlA, urlB]) {
    await waitUntil(async () => (await call<{ status: string }>(`${url}/api/health`)).body.status === 'ok', { timeoutMs: 15_000, message: 'the gateway to discover every part' });
  }
}, 60_000);

afterAll(async () => {
  for (const app of gateways.splice(0)) await app.close();
  await platform?.shutdown();
  await topology?.stop();
});

describe('gateway', () => {
  let alice: string;
  let bob: string;
  let postId: string;

  it('serves the sidecar endpoints, health, and an OpenAPI document covering every route', async () => {
    expect((await call(`${urlA}/livez`)).status).toBe(200);
    expect((await fetch(`${urlA}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${urlA}/metrics`)).text()).toMatch(/failsoft_/);
    const health = await call<{ status: string; degraded: string[]; instance: string }>(`${urlA}/api/health`);
    expect(health.body).toMatchObject({ status: 'ok', degraded: [], instance: 'gateway-a' });

    const doc = await call<typeof OPENAPI_DOCUMENT>(`${urlA}/api/openapi.json`);
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    const documented = new Set(Object.entries(doc.body.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)));
    const implemented = new Set(gateways[0].get(RouteCatalogService).routes().map((route) => `${route.method} ${route.openApiPath}`));
    expect(implemented.size).toBeGreaterThanOrEqual(14);
    expect([...implemented].filter((route) => !documented.has(route))).toEqual([]); // every route is documented
    expect([...documented].filter((route) => !implemented.has(route))).toEqual([]); // nothing documented is missing
  });

  it('signs in demo users and requires a valid token for writes (401 otherwise); tokens work on every gateway', async () => {
    alice = await signIn(urlA, 'alice');
    bob = await signIn(urlB, 'bob');
    const json = { 'content-type': 'application/json' };
    const wrong = await call(`${urlA}/api/auth/sign-in`, { method: 'POST', headers: json, body: JSON.stringify({ user: 'alice', password: 'nope' }) });
    expectJsonError(wrong, 401, 'INVALID_CREDENTIALS');
    const stranger = await call(`${urlA}/api/auth/sign-in`, { method: 'POST', headers: json, body: JSON.stringify({ user: 'mallory', password: 'failsoft' }) });
    expectJsonError(stranger, 401, 'INVALID_CREDENTIALS');

    const created = await createPost(urlA, alice, 'first light', 'first-post');
    expect(created.status).toBe(201);
    postId = created.body.post.id;

    const anonymous = await call(`${urlA}/api/posts/${postId}/likes`, { method: 'POST' });
    expectJsonError(anonymous, 401, 'UNAUTHENTICATED');
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expectJsonError(await call(`${urlA}/api/posts/${postId}/likes`, { method: 'POST', headers: bearer('not-a-token') }), 401, 'UNAUTHENTICATED');
    expectJsonError(await call(`${urlA}/api/posts/${postId}/likes`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('alice:failsoft').toString('base64')}` } }), 401);
    const [header, payload, signature] = alice.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'bob' })).toString('base64url')}.${signature}`;
    expectJsonError(await call(`${urlA}/api/posts/${postId}/likes`, { method: 'POST', headers: bearer(forged) }), 401, 'UNAUTHENTICATED');
    const expired = gateways[0].get(SessionTokenService).issue('alice', Date.now() - 2 * 24 * 3600 * 1000).token;
    const expiredRes = await call(`${urlA}/api/posts/${postId}/likes`, { method: 'POST', headers: bearer(expired) });
    expect(expectJsonError(expiredRes, 401).message).toMatch(/expired/);
    expect(platform.data.likes.get(postId)?.size ?? 0).toBe(0); // nothing was changed by refused writes

    // stateless tokens: signed by gateway B, accepted by gateway A and the other way round
    expect((await call(`${urlA}/api/posts/${postId}/likes`, { method: 'POST', headers: bearer(bob) })).status).toBe(200);
    expect((await call(`${urlB}/api/posts/${postId}/likes`, { method: 'DELETE', headers: bearer(alice) })).status).toBe(200);
  });

  it('creates posts from multipart uploads, honours Idempotency-Key, and serves posts and images', async () => {
    const first = await createPost(urlA, alice, 'sunset', 'sunset-1');
    expect(first.status).toBe(201);
    expect(first.body.replayed).toBe(false);
    expect(first.headers.get('location')).toBe(`/api/posts/${first.body.post.id}`);
    expect(first.body.post).toMatchObject({ author: 'alice', caption: 'sunset', contentType: 'image/png', width: 1, height: 1, likeCount: 0 });
    const before = platform.data.order.length;
    const replay = await createPost(urlB, alice, 'sunset', 'sunset-1'); // a retry through the other gateway
    expect(replay.status).toBe(201);
    expect(replay.body).toMatchObject({ replayed: true, post: { id: first.body.post.id } });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(platform.data.order.length).toBe(before);
    expect(platform.data.lastCreate).toEqual({ requestKey: 'sunset-1', metadataKey: 'sunset-1' });

    // without a key, the gateway makes one per request, so the sidecar may retry it safely
    const unkeyed = await createPost(urlA, alice, 'no key');
    expect(unkeyed.status).toBe(201);
    expect(platform.data.lastCreate?.requestKey).toMatch(/^gw-[0-9a-f-]{36}$/);
    expect(platform.data.lastCreate?.metadataKey).toBe(platform.data.lastCreate?.requestKey);
    expect(unkeyed.headers.get('idempotency-key')).toBe(platform.data.lastCreate?.requestKey);

    const id = first.body.post.id;
    const post = await call<{ post: Record<string, unknown>; degraded: string[] }>(`${urlA}/api/posts/${id}`);
    expect(post.status).toBe(200);
    expect(post.body).toMatchObject({ post: { id, caption: 'sunset', likeCount: 0, likedByViewer: null, imageUrl: `/api/posts/${id}/image` }, degraded: [] });

    for (const variant of ['', '?variant=original', '?variant=thumbnail']) {
      const image = await fetch(`${urlB}/api/posts/${id}/image${variant}`);
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/png');
      expect(image.headers.get('x-content-type-options')).toBe('nosniff');
      expect(image.headers.get('cache-control')).toMatch(/max-age=\d+/);
      expect(Buffer.from(await image.arrayBuffer()).equals(PNG)).toBe(true);
    }
  });

  it('likes and unlikes (idempotent per user and post) and shows counts in the feed and on posts', async () => {
    const liked = await call(`${urlA}/api/posts/${postId}/likes`, { method: 'POST', headers: bearer(bob) });
    expect(liked.status).toBe(200);
    expect(liked.body).toEqual({ postId, likeCount: 1, liked: true });
    expect(liked.headers.get('ratelimit-limit')).toBe(String(RATE_LIMIT));
    const again = await call(`${urlB}/api/posts/${postId}/likes`, { method: 'POST', headers: bearer(bob) });
    expect(again.body).toEqual({ postId, likeCount: 1, liked: true });
    expect((await call(`${urlA}/api/posts/${postId}/likes`, { method: 'POST', headers: bearer(alice) })).body).toEqual({ postId, likeCount: 2, liked: true });
    expect((await call(`${urlA}/api/posts/${postId}/likes`, { method: 'DELETE', headers: bearer(alice) })).body).toEqual({ postId, likeCount: 1, liked: false });

    const feed = await call<FeedBody>(`${urlA}/api/feed`, { headers: bearer(bob) });
    expect(feed.status).toBe(200);
    expect(feed.body.degraded).toEqual([]);
    expect(feed.body.items.find((item) => item.id === postId)).toMatchObject({ likeCount: 1, likeCountStale: false, likedByViewer: true });
    const anonymous = await call<FeedBody>(`${urlA}/api/feed`);
    expect(anonymous.body.items.find((item) => item.id === postId)).toMatchObject({ likeCount: 1, likedByViewer: null });
    const post = await call<{ post: Record<string, unknown> }>(`${urlB}/api/posts/${postId}`, { headers: bearer(alice) });
    expect(post.body.post).toMatchObject({ likeCount: 1, likedByViewer: false });

    // paging
    const page1 = await call<FeedBody>(`${urlA}/api/feed?limit=2`);
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await call<FeedBody>(`${urlA}/api/feed?limit=2&cursor=${encodeURIComponent(page1.body.nextCursor as string)}`);
    expect(page2.status).toBe(200);
    expect(page2.body.items[0].id).not.toBe(page1.body.items[0].id);
  });

  it('answers bad input on every endpoint with a JSON 4xx, changes nothing and keeps serving', async () => {
    const postsBefore = platform.data.order.length;
    const likesBefore = JSON.stringify([...platform.data.likes].map(([id, users]) => [id, [...users].sort()]));
    const json = { 'content-type': 'application/json' };
    const signInUrl = `${urlA}/api/auth/sign-in`;
    expectJsonError(await call(signInUrl, { method: 'POST', headers: json, body: '{"user": "alice", ' }), 400, 'MALFORMED_JSON');
    expectJsonError(await call(signInUrl, { method: 'POST', headers: json, body: JSON.stringify({ user: 42, password: 'failsoft' }) }), 400, 'INVALID_FIELD');
    expectJsonError(await call(signInUrl, { method: 'POST', headers: json, body: JSON.stringify({ user: 'alice', password: ['failsoft'] }) }), 400, 'INVALID_FIELD');
    expectJsonError(await call(signInUrl, { method: 'POST', headers: json, body: '[1,2]' }), 400, 'INVALID_BODY');
    expectJsonError(await call(signInUrl, { method: 'POST' }), 400, 'INVALID_BODY');
    expectJsonError(await call(signInUrl, { method: 'POST', headers: json, body: JSON.stringify({ user: 'alice', password: 'x'.repeat(200_000) }) }), 413, 'PAYLOAD_TOO_LARGE');

    for (const query of ['limit=0', 'limit=abc', 'limit=101', 'limit=1&limit=2', 'limit=-5', 'cursor=bogus', `cursor=${'x'.repeat(600)}`]) {
      expectJsonError(await call(`${urlA}/api/feed?${query}`), 400);
    }
    expectJsonError(await call(`${urlA}/api/trending?limit=1000`), 400, 'INVALID_QUERY');

    const posts = `${urlA}/api/posts`;
    const auth = bearer(alice);
    expectJsonError(await call(posts, { method: 'POST', body: imageForm(PNG) }), 401, 'UNAUTHENTICATED');
    expectJsonError(await call(posts, { method: 'POST', headers: { ...auth, ...json }, body: '{"caption":"hi"}' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    const noImage = new FormData();
    noImage.append('caption', 'only words');
    expectJsonError(await call(posts, { method: 'POST', headers: auth, body: noImage }), 400, 'MISSING_IMAGE');
    expectJsonError(await call(posts, { method: 'POST', headers: auth, body: imageForm(Buffer.from('just some text, not an image'), 'holiday.png') }), 415, 'UNSUPPORTED_TYPE');
    expectJsonError(await call(posts, { method: 'POST', headers: auth, body: imageForm(Buffer.alloc(0), 'empty.png') }), 400, 'EMPTY');
    expectJsonError(await call(posts, { method: 'POST', headers: auth, body: imageForm(PNG, 'a.png', 'x'.repeat(301)) }), 400, 'BAD_CAPTION');
    const justOverCap = Buffer.concat([PNG, Buffer.alloc(UPLOAD_MAX_BYTES)]); // within the multipart slack: the upload service refuses it
    expectJsonError(await call(posts, { method: 'POST', headers: auth, body: imageForm(justOverCap, 'big.png') }), 413, 'TOO_LARGE');
    const huge = Buffer.concat([PNG, Buffer.alloc(4 * UPLOAD_MAX_BYTES)]); // refused by the multipart parser itself
    expect(expectJsonError(await call(posts, { method: 'POST', headers: auth, body: imageForm(huge, 'huge.png') }), 413, 'TOO_LARGE').message).toMatch(/64 KiB/);
    const twoFiles = imageForm(PNG);
    twoFiles.append('image', new Blob([new Uint8Array(PNG)]), 'second.png');
    expectJsonError(await call(posts, { method: 'POST', headers: auth, body: twoFiles }), 400, 'MALFORMED_MULTIPART');
    const otherField = new FormData();
    otherField.append('picture', new Blob([new Uint8Array(PNG)]), 'a.png');
    expectJsonError(await call(posts, { method: 'POST', headers: auth, body: otherField }), 400, 'MALFORMED_MULTIPART');
    const cutShort = '--XyZ\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG';
    expectJsonError(await call(posts, { method: 'POST', headers: { ...auth, 'content-type': 'multipart/form-data; boundary=XyZ' }, body: cutShort }), 400, 'MALFORMED_MULTIPART');
    expectJsonError(await call(posts, { method: 'POST', headers: { ...auth, 'content-type': 'multipart/form-data' }, body: 'no boundary' }), 400, 'MALFORMED_MULTIPART');
    // an extra file part is refused, naming its field as sent (UTF-8, not garbled)
    const extra = new FormData();
    extra.append('ñame', new Blob([new Uint8Array(PNG)], { type: 'image/png' }), 'b.png');
    const extraRes = await call<{ error: { message: string } }>(posts, { method: 'POST', headers: auth, body: extra });
    expectJsonError(extraRes, 400, 'MALFORMED_MULTIPART');
    expect(extraRes.body.error.message).toContain('ñame');
    expect(extraRes.body.error.message).not.toContain('Ã');
    for (const key of ['', 'has space', 'x'.repeat(201), 'semi;colon']) {
      expectJsonError(await call(posts, { method: 'POST', headers: { ...auth, 'idempotency-key': key }, body: imageForm(PNG) }), 400, 'INVALID_IDEMPOTENCY_KEY');
      // likes take the same header: a bad one is refused before likes is called
      platform.data.lastLikeKey = undefined;
      for (const method of ['POST', 'DELETE']) {
        expectJsonError(await call(`${urlA}/api/posts/${postId}/likes`, { method, headers: { ...auth, 'idempotency-key': key } }), 400, 'INVALID_IDEMPOTENCY_KEY');
      }
      expect(platform.data.lastLikeKey).toBeUndefined();
    }
    // a good key reaches likes as the call's idempotency_key; none is sent as ''
    expect((await call(`${urlA}/api/posts/${postId}/likes`, { method: 'POST', headers: { ...auth, 'idempotency-key': 'like-1:a/b+c=' } })).status).toBe(200);
    expect(platform.data.lastLikeKey).toBe('like-1:a/b+c=');
    expect((await call(`${urlA}/api/posts/${postId}/likes`, { method: 'DELETE', headers: auth })).status).toBe(200);
    expect(platform.data.lastLikeKey).toBe('');

    expectJsonError(await call(`${urlA}/api/posts/p_nothingherezzzzz`), 404, 'NOT_FOUND');
    expectJsonError(await call(`${urlA}/api/posts/p_nothingherezzzzz/image`), 404, 'NOT_FOUND');
    expectJsonError(await call(`${urlA}/api/posts/${postId}/image?variant=huge`), 400, 'INVALID_QUERY');
    expectJsonError(await call(`${urlA}/api/posts/p_nothingherezzzzz/likes`, { method: 'POST', headers: auth }), 404, 'NOT_FOUND');
    expectJsonError(await call(`${urlA}/api/posts/p_nothingherezzzzz/likes`, { method: 'DELETE', headers: auth }), 404, 'NOT_FOUND');

    for (const path of [
      '/api/posts/..%2F..%2Fetc%2Fpasswd/image',
      '/api/posts/%2e%2e/image',
      '/api/posts/../image',
      '/api/posts/a.b',
      '/api/posts/%00x/image',
      `/api/posts/${'a'.repeat(129)}`,
      '/api/posts/%E0%A4%A/image',
    ]) {
      const res = await raw(urlA, 'GET', path);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect((JSON.parse(res.text) as ErrorBody).error.code).toEqual(expect.any(String));
    }
    const likeTrick = await raw(urlA, 'POST', '/api/posts/..%2Fadmin/likes', auth);
    expect(likeTrick.status).toBe(400);

    const noRoute = await call(`${urlA}/api/nothing-here`);
    expectJsonError(noRoute, 404, 'NO_ROUTE');
    const wrongMethod = await call(`${urlA}/api/feed`, { method: 'PUT', headers: json, body: '{}' });
    expectJsonError(wrongMethod, 405, 'METHOD_NOT_ALLOWED');
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD');
    const wrongLikeMethod = await call(`${urlA}/api/posts/${postId}/likes`, { method: 'PATCH', headers: auth });
    expectJsonError(wrongLikeMethod, 405);
    expect(wrongLikeMethod.headers.get('allow')).toBe('DELETE, POST');
    const html = await raw(urlA, 'GET', '/definitely/not/here', { accept: 'text/html' });
    expect(html.headers['content-type']).toMatch(/^application\/json/);

    expect(platform.data.order.length).toBe(postsBefore);
    expect(JSON.stringify([...platform.data.likes].map(([id, users]) => [id, [...users].sort()]))).toBe(likesBefore);
    expect((await call(`${urlA}/api/feed`)).status).toBe(200);
  });

  it('rate-limits writes per user across both gateways: 429 with Retry-After; invalid requests spend nothing of the budget', async () => {
    const carol = await signIn(urlA, 'carol');
    // twice the limit of invalid writes: each refused 400 by validation, none charged
    for (let i = 0; i < RATE_LIMIT; i++) {
      const gateway = i % 2 === 0 ? urlA : urlB;
      expectJsonError(await call(`${gateway}/api/posts/not-a-post-id/likes`, { method: i % 4 < 2 ? 'POST' : 'DELETE', headers: bearer(carol) }), 400, 'INVALID_POST_ID');
      expectJsonError(await call(`${gateway}/api/posts`, { method: 'POST', headers: { ...bearer(carol), 'idempotency-key': 'has space' }, body: imageForm(PNG) }), 400, 'INVALID_IDEMPOTENCY_KEY');
    }
    expect(platform.data.likes.get(postId)?.has('carol') ?? false).toBe(false);
    for (let i = 0; i < RATE_LIMIT; i++) {
      const res = await call(`${i % 2 === 0 ? urlA : urlB}/api/posts/${postId}/likes`, { method: i % 4 < 2 ? 'POST' : 'DELETE', headers: bearer(carol) });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-remaining')).toBe(String(RATE_LIMIT - 1 - i)); // the whole budget was left for the valid writes
    }
    const limited = await call(`${urlB}/api/posts/${postId}/likes`, { method: 'POST', headers: bearer(carol) });
    expectJsonError(limited, 429, 'RATE_LIMITED');
    expect(retryAfterOf(limited)).toBeLessThanOrEqual(30);
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(platform.data.likes.get(postId)?.has('carol')).toBe(false); // the refused like changed nothing
    // other users are not affected
    expect((await call(`${urlA}/api/posts/${postId}/likes`, { method: 'POST', headers: bearer(bob) })).status).toBe(200);
  });

  it('keeps serving while likes is down: feed 200 with degraded ["likes"], like 503 + Retry-After; recovery clears it', async () => {
    await platform.stop('likes');
    await waitUntil(async () => (await call<{ degraded: string[] }>(`${urlA}/api/health`)).body.degraded.includes('likes'), { timeoutMs: 10_000 });
    const feed = await call<FeedBody>(`${urlA}/api/feed`);
    expect(feed.status).toBe(200);
    expect(feed.body.degraded).toEqual(['likes']);
    expect(feed.body.items.length).toBeGreaterThan(0);
    expect(feed.body.items.every((item) => item.likeCount === null)).toBe(true);
    const like = await call(`${urlA}/api/posts/${postId}/likes`, { method: 'POST', headers: bearer(alice) });
    const error = expectJsonError(like, 503, 'LIKES_UNAVAILABLE');
    expect(error.message).toMatch(/^likes are unavailable right now; try again in \d+ s$/);
    expect(error.message).toContain(`${retryAfterOf(like)} s`);
    const post = await call<{ post: { likeCount: unknown }; degraded: string[] }>(`${urlA}/api/posts/${postId}`);
    expect(post.status).toBe(200);
    expect(post.body).toMatchObject({ post: { likeCount: null }, degraded: ['likes'] });
    expect((await createPost(urlA, alice, 'still posting')).status).toBe(201); // upload works without likes

    await platform.start('likes');
    await waitUntil(
      async () => {
        const res = await call<FeedBody>(`${urlA}/api/feed`);
        return res.status === 200 && res.body.degraded.length === 0 && res.body.items.every((item) => item.likeCount !== null);
      },
      { timeoutMs: 15_000, message: 'the feed to recover from likes being down' },
    );
    await waitUntil(async () => (await call(`${urlA}/api/posts/${postId}/likes`, { method: 'POST', headers: bearer(alice) })).status === 200, { timeoutMs: 10_000 });
    await waitUntil(async () => (await call<{ status: string }>(`${urlA}/api/health`)).body.status === 'ok', { timeoutMs: 10_000 });
  });

  it('answers 503 + Retry-After when the only likes instance crashes (connection refused), and recovers', async () => {
    await platform.crash('likes');
    const like = await call(`${urlB}/api/posts/${postId}/likes`, { method: 'DELETE', headers: bearer(alice) });
    expectJsonError(like, 503, 'LIKES_UNAVAILABLE');
    retryAfterOf(like);
    expect((await call<FeedBody>(`${urlB}/api/feed`)).body.degraded).toEqual(['likes']);
    await platform.stop('likes');
    await platform.start('likes');
    await waitUntil(async () => (await call(`${urlB}/api/posts/${postId}/likes`, { method: 'DELETE', headers: bearer(alice) })).status === 200, {
      timeoutMs: 15_000,
      message: 'likes to work again through gateway B',
    });
  });

  it('keeps serving while upload is down: feed 200, create post 503 + Retry-After, likes work; recovery', async () => {
    await platform.stop('upload');
    const create = await createPost(urlA, alice, 'during outage');
    const error = expectJsonError(create, 503, 'UPLOAD_UNAVAILABLE');
    expect(error.message).toMatch(/creating posts is unavailable right now; try again in \d+ s/);
    retryAfterOf(create);
    const feed = await call<FeedBody>(`${urlA}/api/feed`);
    expect(feed.status).toBe(200);
    expect(feed.body.degraded).toEqual([]);
    expect((await call(`${urlA}/api/posts/${postId}/likes`, { method: 'POST', headers: bearer(alice) })).status).toBe(200);
    expectJsonError(await call(`${urlA}/api/posts/${postId}/image`), 503, 'UPLOAD_UNAVAILABLE');

    await platform.start('upload');
    await waitUntil(async () => (await createPost(urlA, alice, 'after outage', 'after-outage')).status === 201, { timeoutMs: 15_000, message: 'uploads to work again' });
  });

  it('serves the last-good feed with degraded ["feed"] while feed is down (503 only without a copy), and recovers', async () => {
    const live = await call<FeedBody>(`${urlA}/api/feed?limit=5`);
    expect(live.status).toBe(200);
    expect(live.body.degraded).toEqual([]);
    const trending = await call<{ items: Array<{ id: string; score: number }>; leaderInstanceId: string; degraded: string[] }>(`${urlA}/api/trending`);
    expect(trending.status).toBe(200);
    expect(trending.body).toMatchObject({ leaderInstanceId: 'feed-leader', fencingToken: '7', degraded: [] });
    expect(trending.body.items[0]).toMatchObject({ id: postId, score: expect.any(Number) });
    await platform.stop('feed');

    const cached = await call<FeedBody>(`${urlA}/api/feed?limit=5`, { headers: bearer(bob) });
    expect(cached.status).toBe(200);
    expect(cached.body.degraded).toEqual(['feed']);
    expect(cached.body.lastGoodAt).toEqual(expect.any(String));
    expect(cached.body.items.map((item) => item.id)).toEqual(live.body.items.map((item) => item.id));
    // counts were refreshed from likes (which is up), for this viewer
    expect(cached.body.items.find((item) => item.id === postId)).toMatchObject({ likeCount: platform.data.likes.get(postId)?.size, likeCountStale: false, likedByViewer: true });

    const cachedTrending = await call<{ items: Array<{ id: string }>; degraded: string[] }>(`${urlA}/api/trending`);
    expect(cachedTrending.status).toBe(200);
    expect(cachedTrending.body.degraded).toEqual(['feed']);
    expect(cachedTrending.body.items.map((item) => item.id)).toEqual(trending.body.items.map((item) => item.id));
    expectJsonError(await call(`${urlA}/api/trending?limit=3`), 503, 'FEED_UNAVAILABLE');

    const none = await call(`${urlA}/api/feed?limit=7`); // never read: no copy
    expect(expectJsonError(none, 503, 'FEED_UNAVAILABLE').message).toMatch(/the feed is unavailable right now; try again in \d+ s/);
    retryAfterOf(none);

    // feed and likes both down: stale counts, both parts named
    await platform.stop('likes');
    const both = await call<FeedBody>(`${urlA}/api/feed?limit=5`);
    expect(both.status).toBe(200);
    expect([...both.body.degraded].sort()).toEqual(['feed', 'likes']);
    expect(both.body.items.find((item) => item.id === postId)).toMatchObject({ likeCountStale: true, likedByViewer: null });
    await platform.start('likes');

    // a gateway started during the outage still has the first page (shared in Redis)
    const firstPage = await call<FeedBody>(`${urlB}/api/feed`);
    expect(firstPage.status).toBe(200);
    const urlC = await startGateway('gateway-c');
    const fromShared = await call<FeedBody>(`${urlC}/api/feed`);
    expect(fromShared.status).toBe(200);
    expect(fromShared.body.degraded).toContain('feed');
    expect(fromShared.body.items.map((item) => item.id)).toEqual(firstPage.body.items.map((item) => item.id));

    await platform.start('feed');
    await waitUntil(
      async () => {
        const res = await call<FeedBody>(`${urlA}/api/feed?limit=5`);
        return res.status === 200 && res.body.degraded.length === 0 && res.body.lastGoodAt === undefined;
      },
      { timeoutMs: 15_000, message: 'the feed to recover' },
    );
    expect((await call(`${urlA}/api/feed?limit=7`)).status).toBe(200);
  });

  it('escapes a hung feed instance within the deadline (attempt timeout, retry on another instance)', async () => {
    await platform.start('feed', 'feed-hung', { hang: true });
    await waitUntil(async () => (await call<{ parts: { feed: { instances: number } } }>(`${urlA}/api/health`)).body.parts.feed.instances === 2, { timeoutMs: 10_000 });
    for (let i = 0; i < 6; i++) {
      const res = await call<FeedBody>(`${urlA}/api/feed?limit=5`);
      expect(res.status).toBe(200);
      expect(res.body.degraded).toEqual([]);
      expect(res.body.lastGoodAt).toBeUndefined();
    }
    await platform.stop('feed-hung');
  });
});
