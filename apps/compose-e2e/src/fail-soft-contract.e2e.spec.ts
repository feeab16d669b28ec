import { randomUUID } from 'node:crypto';
import { waitUntil } from '@failsoft/testing';
import { compose, containers, failsoft, progress, waitForAllHealthy } from './support/compose';
import { describeResult, expect503, expectNoErrors, figure, fixture, load, loadFigures, moreRequests, type ApiResult, type Fixture } from './support/platform';

/**
 * The fail-soft contract against the real `docker compose up` of docker-compose.yml, through the
 * published front door on 127.0.0.1, while a steady load of the three user actions runs:
 * containers held down with `docker compose kill` (Docker does not restart them) and started
 * again, and apps crashed inside their containers (`failsoft kill <id> --compose`), which the
 * restart policy brings back with no one's help. Every test leaves the platform whole (afterEach).
 */

jest.setTimeout(240_000);

let f: Fixture;
/** Containers a test holds down, started again by afterEach whatever happened. */
const held = new Set<string>();

beforeAll(async () => {
  f = await fixture();
  // a warm last-good copy of the feed on both gateways (round robin through the front door)
  for (let i = 0; i < 6; i++) await f.api.feed();
});

afterEach(async () => {
  if (held.size) await compose(['start', ...held]);
  held.clear();
  await waitForAllHealthy(180_000);
});

/** `docker compose kill -s SIGKILL` (held down: Docker records a manual stop). */
async function holdDown(ids: string[]): Promise<void> {
  for (const id of ids) held.add(id);
  await compose(['kill', '-s', 'SIGKILL', ...ids]);
  progress(`  ${ids.join(', ')} killed (docker compose kill) and held down`);
}

async function bringBack(ids: string[]): Promise<number> {
  const t = Date.now();
  await compose(['start', ...ids]);
  for (const id of ids) held.delete(id);
  await waitForAllHealthy(120_000);
  return Date.now() - t;
}

describe('one instance of a service killed and held down: no error seen', () => {
  it.each(['upload-1', 'likes-1', 'feed-1', 'gateway-1'])('%s', async (id) => {
    progress(`ROW kill ${id} (held down)`);
    const l = load(f);
    await moreRequests(l, 15);
    await holdDown([id]);
    await moreRequests(l, 40);
    // still down: `docker compose kill` is a manual stop, the restart policy leaves it alone
    expect((await containers()).get(id)?.state).toBe('exited');
    const backMs = await bringBack([id]);
    await moreRequests(l, 20);
    const report = await l.stop();
    figure(`compose-kill-${id}`, { requests: report.requests, errors: report.non2xx, backHealthyMs: backMs, ...loadFigures(report) });
    expectNoErrors(report, `docker compose kill ${id}`);
  });
});

describe('self-healing: an app crashed inside its container comes back by itself', () => {
  it.each(['likes-2', 'gateway-2'])('%s (failsoft kill --compose), while the platform keeps serving', async (id) => {
    progress(`ROW crash ${id} inside its container`);
    const before = (await containers()).get(id);
    const l = load(f);
    await moreRequests(l, 15);
    const t = Date.now();
    const run = await failsoft(['kill', id, '--compose']);
    expect({ code: run.code, out: run.stdout }).toEqual({ code: 0, out: expect.stringMatching(new RegExp(`crashed ${id} .*restart policy brings it back`)) });
    const restarted = await waitUntil(async () => ((await containers()).get(id)?.restarts ?? 0) > (before?.restarts ?? 0) ? Date.now() - t : undefined, { timeoutMs: 60_000, intervalMs: 200, message: `${id} restarted by its restart policy` });
    const healthy = await waitUntil(async () => ((await containers()).get(id)?.health === 'healthy' ? Date.now() - t : undefined), { timeoutMs: 90_000, intervalMs: 250, message: `${id} healthy again` });
    await moreRequests(l, 20);
    const report = await l.stop();
    const after = (await containers()).get(id);
    figure(`compose-crash-${id}`, { restartedAfterMs: restarted, healthyAfterMs: healthy, requests: report.requests, errors: report.non2xx, ...loadFigures(report) });
    expect(after?.restarts).toBe((before?.restarts ?? 0) + 1);
    expect(after?.state).toBe('running');
    expectNoErrors(report, `a crash of ${id} inside its container`);
  });
});

describe('all of a service down: the documented degraded answers', () => {
  it('likes: feed 200 with degraded ["likes"], like and unlike 503 + Retry-After, create post works; then back', async () => {
    progress('ROW all of likes down');
    await holdDown(['likes-1', 'likes-2']);
    const feeds: ApiResult<{ degraded: string[] }>[] = [];
    for (let i = 0; i < 4; i++) feeds.push(await f.api.feed(f.tokens.bob));
    for (const res of feeds) {
      if (res.status !== 200) throw new Error(describeResult(res, 'GET /api/feed while likes is down'));
      expect(res.json?.degraded).toContain('likes');
    }
    expect503(await f.api.like(f.tokens.bob, f.postIds[0]), 'likes');
    expect503(await f.api.unlike(f.tokens.bob, f.postIds[0]), 'likes');
    expect((await f.api.createPost(f.tokens.bob, f.image, { idempotencyKey: `likes-down-${randomUUID()}` })).status).toBe(201);
    const backMs = await bringBack(['likes-1', 'likes-2']);
    await waitUntil(async () => (await f.api.feed(f.tokens.bob)).json?.degraded.length === 0 && (await f.api.like(f.tokens.bob, f.postIds[0])).status === 200, { timeoutMs: 60_000, intervalMs: 250, message: 'likes working again' });
    figure('compose-all-likes-down', { feedDegraded: feeds[0].json?.degraded, backHealthyMs: backMs });
  });

  it('upload: feed 200, create post 503 + Retry-After, like works; then back', async () => {
    progress('ROW all of upload down');
    await holdDown(['upload-1', 'upload-2']);
    expect((await f.api.feed(f.tokens.carol)).status).toBe(200);
    // A held-down container's address drops packets instead of refusing them (locally: refused at
    // once), so the first create waits out the upload deadline, on each gateway (the front door
    // retries a 503 on the other): a correctness bound of 30 s here, the time is a figure.
    const created = await f.api.createPost(f.tokens.carol, f.image, { idempotencyKey: `upload-down-${randomUUID()}`, timeoutMs: 30_000 });
    expect503(created, 'upload');
    const again = await f.api.createPost(f.tokens.carol, f.image, { idempotencyKey: `upload-down-${randomUUID()}`, timeoutMs: 30_000 });
    expect503(again, 'upload');
    figure('compose-all-upload-down', { firstCreate503Ms: Math.round(created.ms), secondCreate503Ms: Math.round(again.ms) });
    const like = await f.api.like(f.tokens.carol, f.postIds[1]);
    if (like.status !== 200) throw new Error(describeResult(like, 'like while upload is down'));
    expect((await f.api.unlike(f.tokens.carol, f.postIds[1])).status).toBe(200);
    await bringBack(['upload-1', 'upload-2']);
    await waitUntil(async () => (await f.api.createPost(f.tokens.carol, f.image, { idempotencyKey: `upload-back-${randomUUID()}` })).status === 201, { timeoutMs: 60_000, intervalMs: 500, message: 'create post to work again' });
  });

  it('feed: GET feed 200 from the last-good copy with degraded ["feed"], create post and like work; then back', async () => {
    progress('ROW all of feed down');
    for (let i = 0; i < 4; i++) expect((await f.api.feed(f.tokens.alice)).status).toBe(200);
    await holdDown(['feed-1', 'feed-2']);
    for (let i = 0; i < 4; i++) {
      const res = await f.api.feed(f.tokens.alice);
      if (res.status !== 200) throw new Error(describeResult(res, 'GET /api/feed while feed is down'));
      expect(res.json?.degraded).toEqual(['feed']);
      expect(res.json?.items.length).toBeGreaterThan(0);
    }
    const created = await f.api.createPost(f.tokens.alice, f.image, { caption: 'posted while the feed was down', idempotencyKey: `feed-down-${randomUUID()}` });
    expect(created.status).toBe(201);
    expect((await f.api.like(f.tokens.alice, f.postIds[2])).status).toBe(200);
    await bringBack(['feed-1', 'feed-2']);
    const newId = (created.json as { post: { id: string } }).post.id;
    await waitUntil(async () => {
      const res = await f.api.feed(f.tokens.alice);
      return res.status === 200 && res.json?.degraded.length === 0 && res.json.items.some((item) => item.id === newId);
    }, { timeoutMs: 60_000, intervalMs: 500, message: 'a live feed with the post created while the feed was down' });
  });
});
