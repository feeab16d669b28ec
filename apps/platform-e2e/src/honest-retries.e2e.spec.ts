import { randomUUID } from 'node:crypto';
import { describe as describeResult, type ApiResult } from './support/api';
import { smallPng } from './support/images';
import { figure, progress, redisOnMaster, startTestPlatform, stopTestPlatform, type TestPlatform } from './support/platform';

/**
 * Honest retries (docs/platform.md): the front door (HAProxy, `retries 2`, `retry-on ... 503`)
 * retries a write that got a 503 on the other gateway; every attempt carries the front door's
 * `X-Request-Id`, and the gateways' write limit counts the attempts of one request once. Real
 * HAProxy, real gateways, real Redis behind Sentinel: the platform of `npm start`, with likes held
 * down (every like is answered 503 LIKES_UNAVAILABLE by both gateways).
 */

jest.setTimeout(240_000);

/** A small limit and a window longer than the spec, so the window cannot roll over mid-way. */
const LIMIT = 5;
const WINDOW_MS = 600_000;

let tp: TestPlatform;
let postId: string;
const held: string[] = [];

function code(res: ApiResult): string | undefined {
  return (res.json as { error?: { code?: string } } | undefined)?.error?.code;
}

async function windowCount(user: string): Promise<number> {
  return Number((await redisOnMaster(tp.platform, ['GET', `failsoft:ratelimit:${user}`])) ?? 0);
}

/** The attempts each front-door request of `user` made (one hash per request id). */
async function attemptsPerRequest(user: string): Promise<number[]> {
  const keys = (await redisOnMaster(tp.platform, ['KEYS', `failsoft:ratelimit-attempts:${user}:*`])) as string[];
  return Promise.all(keys.map(async (key) => Number(await redisOnMaster(tp.platform, ['HGET', key, 'n']))));
}

beforeAll(async () => {
  tp = await startTestPlatform('honest-retries', { RATE_LIMIT_WRITES: String(LIMIT), RATE_LIMIT_WINDOW_MS: String(WINDOW_MS) });
  const created = await tp.api.createPost(tp.tokens.alice, await smallPng(32, 1), { caption: 'honest retries', idempotencyKey: `honest-${randomUUID()}` });
  if (created.status !== 201) throw new Error(describeResult(created, 'creating the post to like'));
  postId = (created.json as { post: { id: string } }).post.id;
  for (const id of tp.platform.instancesOf('likes')) {
    held.push(id);
    await tp.platform.stopInstance(id, { signal: 'SIGKILL' });
  }
  progress(`  ${held.join(', ')} killed and held down`);
}, 240_000);

afterAll(async () => {
  for (const id of held) await tp?.platform.startInstance(id).catch(() => undefined);
  await stopTestPlatform(tp);
});

describe('a write rejected with 503 through the front door', () => {
  it('consumes one unit of the write limit, though both gateways answered it (3 attempts)', async () => {
    expect(await windowCount('bob')).toBe(0);
    const like = await tp.api.like(tp.tokens.bob, postId);
    if (like.status !== 503) throw new Error(describeResult(like, 'expected 503 while likes is down'));
    expect(code(like)).toBe('LIKES_UNAVAILABLE');
    // the front door did retry it on the other gateway, twice: three attempts under one request id...
    expect(await attemptsPerRequest('bob')).toEqual([3]);
    // ...counted once
    expect(await windowCount('bob')).toBe(1);
    expect(like.headers.get('ratelimit-remaining')).toBe(String(LIMIT - 1));
    figure('honest-retries-one-write', { status: like.status, code: code(like), attempts: 3, unitsConsumed: 1, remaining: like.headers.get('ratelimit-remaining') });
  });

  it('never turns an outage into a 429: every write within the limit says the real cause, only the one beyond it is 429', async () => {
    const answers: ApiResult[] = [];
    for (let i = 0; i < LIMIT; i++) answers.push(await tp.api.like(tp.tokens.carol, postId));
    expect(answers.map(code)).toEqual(Array.from({ length: LIMIT }, () => 'LIKES_UNAVAILABLE'));
    expect(await windowCount('carol')).toBe(LIMIT);
    expect((await attemptsPerRequest('carol')).sort()).toEqual(Array.from({ length: LIMIT }, () => 3));
    // carol really made LIMIT + 1 writes now: that one is over her limit, and says so
    const beyond = await tp.api.like(tp.tokens.carol, postId);
    expect([beyond.status, code(beyond)]).toEqual([429, 'RATE_LIMITED']);
    figure('honest-retries-outage', { writesInOutage: LIMIT, answers: answers.map(code), windowCount: LIMIT, beyondLimit: `${beyond.status} ${code(beyond)}` });
  });
});
