import { request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import { recordResponse } from './support/openapi';
import { redisCommand, waitUntil } from '@failsoft/testing';
import { describe as describeResult, type ApiResult, type UploadFile } from './support/api';
import { bombPng, oversizedFile, smallJpeg, smallPng, textNamedPng, truncatedPng } from './support/images';
import { figure, pids, progress, restartCounts, startTestPlatform, stopTestPlatform, waitForFullService, type Platform, type TestPlatform } from './support/platform';

/**
 * Bad input on every endpoint of the public API, through the front door: each gets a clear 4xx
 * with a JSON error body `{"error":{"code","message"}}`, stores nothing (posts, images, the post
 * stream, likes, idempotency records are counted in Redis before and after), and restarts no
 * process (every pid is the same afterwards).
 */

jest.setTimeout(180_000);

let tp: TestPlatform;
let image: UploadFile;
/** A post that exists (likes and image cases), and the key that created it. */
let postId: string;
const usedKey = `bad-input-used-${randomUUID()}`;

/** A request with the path sent exactly as written (fetch would normalise `..`), through the front door. */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string): Promise<ApiResult> {
  const url = new URL(tp.api.baseUrl);
  const started = performance.now();
  return new Promise((resolve) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        recordResponse({ method, url: `${tp.api.baseUrl}${path.startsWith('/') ? path : `/${path}`}`, path, status: res.statusCode ?? 0, headers: h, json });
        resolve({ status: res.statusCode ?? 0, headers: h, json, text, ms: performance.now() - started });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ status: 0, headers: new Headers(), json: undefined, text: '', ms: performance.now() - started, error: error.message }));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const auth = (): Record<string, string> => ({ authorization: `Bearer ${tp.tokens.alice}` });
const json = (body: string): { headers: Record<string, string>; body: string } => ({ headers: { 'content-type': 'application/json' }, body });

/** A multipart body written by hand (to send what no well-behaved client would). */
function multipart(parts: Array<{ name: string; filename?: string; type?: string; data: Buffer | string }>, boundary = `----failsoft${randomUUID()}`): { headers: Record<string, string>; body: Buffer } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ''}\r\n${part.type ? `Content-Type: ${part.type}\r\n` : ''}\r\n`));
    chunks.push(Buffer.isBuffer(part.data) ? part.data : Buffer.from(part.data));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body: Buffer.concat(chunks) };
}

function upload(file: UploadFile, extra: Record<string, string> = {}): Promise<ApiResult> {
  const form = multipart([
    { name: 'caption', data: 'bad input' },
    { name: 'image', filename: file.name, type: file.type, data: Buffer.from(file.bytes) },
  ]);
  return raw('POST', '/api/posts', { ...auth(), ...form.headers, ...extra }, form.body);
}

/** Counts keys matching `pattern` on the master (SCAN). */
async function countKeys(platform: Platform, pattern: string): Promise<number> {
  const master = await platform.redis.currentMaster();
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = (await redisCommand(master.port, ['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000'], { timeoutMs: 2000, ...platform.redis.auth.data })) as [string, string[]];
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

/** What the platform stores for users: posts, images, the post stream, likes, idempotency records. */
async function stored(platform: Platform): Promise<Record<string, number>> {
  const master = await platform.redis.currentMaster();
  return {
    posts: await countKeys(platform, 'failsoft:post:*'),
    images: await countKeys(platform, 'failsoft:image:*'),
    postStream: Number(await redisCommand(master.port, ['XLEN', 'failsoft:posts'], { timeoutMs: 2000, ...platform.redis.auth.data })),
    likeSets: await countKeys(platform, 'failsoft:likes:*'),
    likesOfThePost: Number(await redisCommand(master.port, ['SCARD', `failsoft:likes:${postId}`], { timeoutMs: 2000, ...platform.redis.auth.data })),
    idempotency: await countKeys(platform, 'failsoft:idem:*'),
    timeline: Number(await redisCommand(master.port, ['ZCARD', 'failsoft:feed:timeline'], { timeoutMs: 2000, ...platform.redis.auth.data })),
  };
}

/** One bad request and the 4xx it must get. */
interface Case {
  endpoint: string;
  what: string;
  send: () => Promise<ApiResult>;
  status: number | number[];
  code?: string | RegExp;
}

let cases: Case[] = [];

beforeAll(async () => {
  tp = await startTestPlatform('bad-input');
  image = await smallPng(40, 11);
  const created = await tp.api.createPost(tp.tokens.alice, image, { idempotencyKey: usedKey });
  if (created.status !== 201) throw new Error(describeResult(created, 'creating the post of the bad-input cases'));
  postId = (created.json as { post: { id: string } }).post.id;
  await tp.api.like(tp.tokens.bob, postId);
  // let the feed consume the new post before counting
  await waitUntil(async () => (await tp.api.feed()).json?.items.some((item) => item.id === postId), { timeoutMs: 30_000, message: 'the post in the feed' });
  const jpeg = await smallJpeg();
  const truncated = await truncatedPng();
  const bomb = bombPng();
  const huge = oversizedFile();
  // well-formed (upload's ids are "p_" + 16 base32 characters) but unknown, and not even well-formed
  const unknownId = `p_${'z'.repeat(12)}2345`;
  const malformedId = `no-such-post-${randomUUID()}`;
  cases = [
    // sign-in
    { endpoint: 'POST /api/auth/sign-in', what: 'malformed JSON', send: () => raw('POST', '/api/auth/sign-in', json('{"user": "alice", ').headers, json('{"user": "alice", ').body), status: 400, code: 'MALFORMED_JSON' },
    { endpoint: 'POST /api/auth/sign-in', what: 'wrong types', send: () => raw('POST', '/api/auth/sign-in', json('').headers, '{"user": 42, "password": true}'), status: 400, code: 'INVALID_FIELD' },
    { endpoint: 'POST /api/auth/sign-in', what: 'a JSON array', send: () => raw('POST', '/api/auth/sign-in', json('').headers, '[]'), status: 400, code: 'INVALID_BODY' },
    { endpoint: 'POST /api/auth/sign-in', what: 'no body', send: () => raw('POST', '/api/auth/sign-in'), status: 400, code: 'INVALID_BODY' },
    { endpoint: 'POST /api/auth/sign-in', what: 'wrong password', send: () => raw('POST', '/api/auth/sign-in', json('').headers, '{"user":"alice","password":"nope"}'), status: 401, code: 'INVALID_CREDENTIALS' },
    { endpoint: 'POST /api/auth/sign-in', what: 'a 200 KB JSON body', send: () => raw('POST', '/api/auth/sign-in', json('').headers, JSON.stringify({ user: 'alice', password: 'x'.repeat(200_000) })), status: 413 },
    // feed
    { endpoint: 'GET /api/feed', what: 'limit not a number', send: () => raw('GET', '/api/feed?limit=abc'), status: 400, code: 'INVALID_QUERY' },
    { endpoint: 'GET /api/feed', what: 'limit out of range', send: () => raw('GET', '/api/feed?limit=1000000'), status: 400, code: 'INVALID_QUERY' },
    { endpoint: 'GET /api/feed', what: 'limit given twice', send: () => raw('GET', '/api/feed?limit=1&limit=2'), status: 400, code: 'INVALID_QUERY' },
    { endpoint: 'GET /api/feed', what: 'a cursor with spaces', send: () => raw('GET', '/api/feed?cursor=a%20b'), status: 400, code: 'INVALID_CURSOR' },
    { endpoint: 'GET /api/feed', what: 'a made-up cursor', send: () => raw('GET', '/api/feed?cursor=not-a-cursor'), status: 400 },
    { endpoint: 'GET /api/feed', what: 'a forged token', send: () => raw('GET', '/api/feed', { authorization: 'Bearer forged.token.value' }), status: 401, code: 'UNAUTHENTICATED' },
    { endpoint: 'GET /api/feed', what: 'a Basic Authorization header', send: () => raw('GET', '/api/feed', { authorization: 'Basic YWxpY2U6ZmFpbHNvZnQ=' }), status: 401, code: 'UNAUTHENTICATED' },
    // create post
    { endpoint: 'POST /api/posts', what: 'no Authorization', send: () => raw('POST', '/api/posts', multipart([{ name: 'image', filename: 'a.png', type: 'image/png', data: Buffer.from(image.bytes) }]).headers, multipart([{ name: 'image', filename: 'a.png', type: 'image/png', data: Buffer.from(image.bytes) }]).body), status: 401, code: 'UNAUTHENTICATED' },
    { endpoint: 'POST /api/posts', what: 'a JSON body instead of a form', send: () => raw('POST', '/api/posts', { ...auth(), 'content-type': 'application/json' }, '{"caption":"hi","image":"aGVsbG8="}'), status: 415 },
    { endpoint: 'POST /api/posts', what: 'malformed JSON', send: () => raw('POST', '/api/posts', { ...auth(), 'content-type': 'application/json' }, '{"caption":'), status: [400, 415] },
    { endpoint: 'POST /api/posts', what: 'a form without an image', send: () => { const f = multipart([{ name: 'caption', data: 'no image' }]); return raw('POST', '/api/posts', { ...auth(), ...f.headers }, f.body); }, status: 400, code: 'MISSING_IMAGE' },
    { endpoint: 'POST /api/posts', what: 'a text file named .png', send: () => upload(textNamedPng()), status: 415, code: 'UNSUPPORTED_TYPE' },
    { endpoint: 'POST /api/posts', what: 'a truncated PNG', send: () => upload(truncated), status: 422, code: 'TRUNCATED' },
    { endpoint: 'POST /api/posts', what: 'an 11 MiB upload', send: () => upload(huge), status: 413, code: 'TOO_LARGE' },
    { endpoint: 'POST /api/posts', what: `a decompression bomb (${bomb.bytes.length} bytes declaring 20000×20000 pixels)`, send: () => upload(bomb), status: 422, code: 'TOO_MANY_PIXELS' },
    { endpoint: 'POST /api/posts', what: 'an empty file', send: () => upload({ bytes: Buffer.alloc(0), type: 'image/png', name: 'empty.png' }), status: 400, code: 'EMPTY' },
    { endpoint: 'POST /api/posts', what: 'the caption twice', send: () => { const f = multipart([{ name: 'caption', data: 'one' }, { name: 'caption', data: 'two' }, { name: 'image', filename: 'a.jpg', type: 'image/jpeg', data: Buffer.from(jpeg.bytes) }]); return raw('POST', '/api/posts', { ...auth(), ...f.headers }, f.body); }, status: 400, code: 'INVALID_FIELD' },
    { endpoint: 'POST /api/posts', what: 'a 20 KB caption', send: () => { const f = multipart([{ name: 'caption', data: 'x'.repeat(20_000) }, { name: 'image', filename: 'a.jpg', type: 'image/jpeg', data: Buffer.from(jpeg.bytes) }]); return raw('POST', '/api/posts', { ...auth(), ...f.headers }, f.body); }, status: [400, 413] },
    { endpoint: 'POST /api/posts', what: 'a bad Idempotency-Key', send: () => upload(jpeg, { 'idempotency-key': 'spaces are not allowed' }), status: 400, code: 'INVALID_IDEMPOTENCY_KEY' },
    { endpoint: 'POST /api/posts', what: 'an Idempotency-Key reused for another image', send: () => upload(jpeg, { 'idempotency-key': usedKey }), status: 422, code: 'IDEMPOTENCY_KEY_REUSED' },
    { endpoint: 'POST /api/posts', what: 'a multipart body cut short', send: () => { const f = multipart([{ name: 'image', filename: 'a.jpg', type: 'image/jpeg', data: Buffer.from(jpeg.bytes) }]); return raw('POST', '/api/posts', { ...auth(), ...f.headers }, f.body.subarray(0, f.body.length - 40)); }, status: 400, code: 'MALFORMED_MULTIPART' },
    // read a post
    { endpoint: 'GET /api/posts/:id', what: 'an unknown id', send: () => raw('GET', `/api/posts/${unknownId}`), status: 404, code: 'NOT_FOUND' },
    { endpoint: 'GET /api/posts/:id', what: 'an id of the wrong shape', send: () => raw('GET', `/api/posts/${malformedId}`), status: 400, code: 'INVALID_POST_ID' },
    { endpoint: 'GET /api/posts/:id', what: 'path trick ..%2F..%2Fetc%2Fpasswd', send: () => raw('GET', '/api/posts/..%2F..%2Fetc%2Fpasswd'), status: [400, 404] },
    { endpoint: 'GET /api/posts/:id', what: 'path trick ../../etc/passwd (raw)', send: () => raw('GET', '/api/posts/../../etc/passwd'), status: [400, 404] },
    { endpoint: 'GET /api/posts/:id', what: 'path trick %2e%2e', send: () => raw('GET', '/api/posts/%2e%2e'), status: [400, 404] },
    { endpoint: 'GET /api/posts/:id', what: 'a dot in the id', send: () => raw('GET', `/api/posts/${postId}.png`), status: 400, code: 'INVALID_POST_ID' },
    { endpoint: 'GET /api/posts/:id', what: 'a 300-character id', send: () => raw('GET', `/api/posts/${'a'.repeat(300)}`), status: 400, code: 'INVALID_POST_ID' },
    { endpoint: 'GET /api/posts/:id', what: 'bad percent-encoding', send: () => raw('GET', '/api/posts/%E0%A4%A'), status: 400 },
    // images
    { endpoint: 'GET /api/posts/:id/image', what: 'an unknown variant', send: () => raw('GET', `/api/posts/${postId}/image?variant=huge`), status: 400, code: 'INVALID_QUERY' },
    { endpoint: 'GET /api/posts/:id/image', what: 'path trick in the variant', send: () => raw('GET', `/api/posts/${postId}/image?variant=../../original`), status: 400, code: 'INVALID_QUERY' },
    { endpoint: 'GET /api/posts/:id/image', what: 'an unknown id', send: () => raw('GET', `/api/posts/${unknownId}/image`), status: 404, code: 'NOT_FOUND' },
    { endpoint: 'GET /api/posts/:id/image', what: 'an id of the wrong shape', send: () => raw('GET', `/api/posts/${malformedId}/image?variant=thumbnail`), status: 400, code: 'INVALID_POST_ID' },
    { endpoint: 'GET /api/posts/:id/image', what: 'path trick ..%2Fimage%3Aid', send: () => raw('GET', `/api/posts/..%2F${postId}%3Aoriginal/image`), status: [400, 404] },
    { endpoint: 'GET /api/posts/:id/image', what: 'path trick %2e%2e%2f in the id', send: () => raw('GET', '/api/posts/%2e%2e%2f%2e%2e%2fetc/image'), status: [400, 404] },
    { endpoint: 'GET /api/posts/:id/image', what: 'a Redis key as the id', send: () => raw('GET', `/api/posts/failsoft:image:${postId}:original/image`), status: 400, code: 'INVALID_POST_ID' },
    // likes
    { endpoint: 'POST /api/posts/:id/likes', what: 'no Authorization', send: () => raw('POST', `/api/posts/${postId}/likes`), status: 401, code: 'UNAUTHENTICATED' },
    { endpoint: 'DELETE /api/posts/:id/likes', what: 'no Authorization', send: () => raw('DELETE', `/api/posts/${postId}/likes`), status: 401, code: 'UNAUTHENTICATED' },
    { endpoint: 'POST /api/posts/:id/likes', what: 'an unknown post', send: () => raw('POST', `/api/posts/${unknownId}/likes`, auth()), status: 404, code: 'NOT_FOUND' },
    { endpoint: 'DELETE /api/posts/:id/likes', what: 'an unknown post', send: () => raw('DELETE', `/api/posts/${unknownId}/likes`, auth()), status: 404, code: 'NOT_FOUND' },
    { endpoint: 'POST /api/posts/:id/likes', what: 'an id of the wrong shape', send: () => raw('POST', `/api/posts/${malformedId}/likes`, auth()), status: 400, code: 'INVALID_POST_ID' },
    { endpoint: 'POST /api/posts/:id/likes', what: 'path trick in the id', send: () => raw('POST', '/api/posts/..%2F..%2Fadmin/likes', auth()), status: [400, 404] },
    { endpoint: 'POST /api/posts/:id/likes', what: 'malformed JSON body', send: () => raw('POST', `/api/posts/${postId}/likes`, { ...auth(), 'content-type': 'application/json' }, '{"liked":'), status: 400, code: 'MALFORMED_JSON' },
    // routing
    { endpoint: 'GET /api/nope', what: 'an unknown route', send: () => raw('GET', '/api/nope'), status: 404, code: 'NO_ROUTE' },
    { endpoint: 'PUT /api/feed', what: 'a wrong method', send: () => raw('PUT', '/api/feed', json('').headers, '{}'), status: 405, code: 'METHOD_NOT_ALLOWED' },
  ];
}, 240_000);

afterAll(async () => {
  await stopTestPlatform(tp);
});

describe('bad input on every endpoint', () => {
  it('gets a clear 4xx with a JSON error, stores nothing and restarts nothing', async () => {
    const before = await stored(tp.platform);
    const restartsBefore = restartCounts(tp.platform);
    const pidsBefore = pids(tp.platform);
    const wrong: string[] = [];
    const seen: Array<{ endpoint: string; what: string; status: number; code: string; ms: number }> = [];
    for (const c of cases) {
      const res = await c.send();
      const body = res.json as { error?: { code?: unknown; message?: unknown } } | undefined;
      const statuses = Array.isArray(c.status) ? c.status : [c.status];
      const code = typeof body?.error?.code === 'string' ? body.error.code : '';
      const problems: string[] = [];
      if (!statuses.includes(res.status)) problems.push(`status ${res.status}, expected ${statuses.join(' or ')}`);
      if (!(res.headers.get('content-type') ?? '').includes('application/json')) problems.push(`content-type ${res.headers.get('content-type')}`);
      if (!/^[A-Z][A-Z0-9_]+$/.test(code)) problems.push('no error.code');
      if (typeof body?.error?.message !== 'string' || body.error.message.length < 10) problems.push('no clear error.message');
      if (c.code !== undefined && !(typeof c.code === 'string' ? code === c.code : c.code.test(code))) problems.push(`code ${code}, expected ${String(c.code)}`);
      if (problems.length) wrong.push(`${c.endpoint} with ${c.what}: ${problems.join('; ')} — ${describeResult(res)}`);
      seen.push({ endpoint: c.endpoint, what: c.what, status: res.status, code, ms: Math.round(res.ms) });
      progress(`  ${c.endpoint} ${c.what} → ${res.status} ${code}`);
    }
    // the platform is still whole and serving (nothing crashed, nothing was restarted)
    await waitForFullService(tp, 30_000);
    const feed = await tp.api.feed(tp.tokens.alice);
    expect(feed.status).toBe(200);
    const after = await stored(tp.platform);
    figure('bad-input', { cases: cases.length, wrong: wrong.length, statuses: seen.map((s) => `${s.status} ${s.code}`).join(', '), storedBefore: before, storedAfter: after, restarts: restartCounts(tp.platform) });
    expect(wrong).toEqual([]);
    expect(after).toEqual(before);
    expect(restartCounts(tp.platform)).toEqual(restartsBefore);
    expect(pids(tp.platform)).toEqual(pidsBefore);
  });

  it("a cursor the API did not make is refused in the API's own words (nextCursor, not the feed service's internal names)", async () => {
    for (const cursor of ['not-a-cursor', 'eyJ0IjoxfQ', '9999999999999-0']) {
      const res = await raw('GET', `/api/feed?cursor=${encodeURIComponent(cursor)}`);
      const error = (res.json as { error?: { code?: string; field?: string; message?: string } } | undefined)?.error;
      expect({ cursor, status: res.status, code: error?.code, field: error?.field }).toEqual({ cursor, status: 400, code: 'INVALID_CURSOR', field: 'cursor' });
      expect(error?.message).toContain('"nextCursor"');
      expect(error?.message).not.toMatch(/next_cursor|GetFeed/);
    }
  });

  it('the same bad requests, 8 at a time, leave every process running', async () => {
    const pidsBefore = pids(tp.platform);
    const results: ApiResult[] = [];
    for (let i = 0; i < cases.length; i += 8) results.push(...(await Promise.all(cases.slice(i, i + 8).map((c) => c.send()))));
    expect(results.filter((r) => r.status < 400 || r.status > 499).map((r) => describeResult(r))).toEqual([]);
    await waitForFullService(tp, 30_000);
    expect(pids(tp.platform)).toEqual(pidsBefore);
  });
});
