import type { FeedItemOutput, GetFeedResponseOutput } from '@failsoft/contracts';
import type { ServiceClient } from '@failsoft/sidecar';
import type { StateRedis } from '@failsoft/state';
import { startSentinelTopology, waitUntil, type SentinelTopology } from '@failsoft/testing';
import { feedClient, publishPost, startFeed, startLikesStub, stateClient, type FeedInstance, type LikesStub } from './feed-harness';

jest.setTimeout(90_000);

let topology: SentinelTopology;
let redis: StateRedis;
let feed: FeedInstance;
let client: ServiceClient;
let likes: LikesStub | undefined;

/** The page's items as [id, likeCount, stale, likedByViewer] (undefined = absent). */
function rows(page: GetFeedResponseOutput): Array<[string, string | undefined, boolean, boolean | undefined]> {
  return page.items.map((item: FeedItemOutput) => [item.post?.id ?? '?', item.likeCount, item.likeCountStale, item.likedByViewer]);
}

function getFeed(viewerId?: string): Promise<GetFeedResponseOutput> {
  return client.call<unknown, GetFeedResponseOutput>('GetFeed', { viewerId });
}

beforeAll(async () => {
  topology = await startSentinelTopology();
  redis = stateClient(topology);
  feed = await startFeed(topology, 'feed-enrich');
  client = feedClient(feed.address);
  for (let i = 1; i <= 3; i++) await publishPost(redis, { id: `e-${i}`, createdAtMs: 1_000 * i });
  await redis.sadd('failsoft:likes:e-1', 'u1', 'u2');
  await redis.sadd('failsoft:likes:e-2', 'u1');
  await waitUntil(async () => (await getFeed()).items.length === 3, { timeoutMs: 10_000, message: 'the posts in the feed' });
});

afterAll(async () => {
  client?.shutdown();
  await likes?.close();
  await feed?.close();
  await redis?.close();
  await topology?.stop();
});

describe('GetFeed like counts', () => {
  it('are fresh from the likes service while it is up, with the viewer flag', async () => {
    likes = await startLikesStub(redis);
    const page = await waitUntil(
      async () => {
        const p = await getFeed('u1');
        return p.degraded.length === 0 ? p : undefined;
      },
      { timeoutMs: 10_000, message: 'the feed to discover the likes service' },
    );
    expect(rows(page)).toEqual([
      ['e-3', '0', false, false],
      ['e-2', '1', false, true],
      ['e-1', '2', false, true],
    ]);
    expect(rows(await getFeed())).toEqual([
      ['e-3', '0', false, undefined],
      ['e-2', '1', false, undefined],
      ['e-1', '2', false, undefined],
    ]);
    expect(likes.calls).toBeGreaterThan(0);
  });

  it('fall back to the last-seen counts, marked stale, with degraded ["likes"], when no likes server runs', async () => {
    await likes?.close();
    likes = undefined;
    await redis.sadd('failsoft:likes:e-3', 'u9'); // a change the feed cannot see while likes is down
    await publishPost(redis, { id: 'e-4', createdAtMs: 4_000 }); // a post whose count was never seen
    const page = await waitUntil(
      async () => {
        const p = await getFeed('u1');
        return p.degraded.includes('likes') && p.items.length === 4 ? p : undefined;
      },
      { timeoutMs: 10_000, message: 'the feed to serve degraded counts' },
    );
    expect(page.degraded).toEqual(['likes']);
    expect(rows(page)).toEqual([
      ['e-4', undefined, false, undefined],
      ['e-3', '0', true, undefined],
      ['e-2', '1', true, undefined],
      ['e-1', '2', true, undefined],
    ]);
  });

  it('fall back within the short deadline when the likes service hangs', async () => {
    const hung = await startLikesStub(redis, { delayMs: 5_000 });
    likes = hung;
    // GetFeed until the hung instance has been discovered and called (the breaker may first have
    // to half-open after the outage above): every answer meanwhile is degraded too
    const page = await waitUntil(
      async () => {
        const p = await getFeed();
        return hung.calls > 0 ? p : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, message: 'the hung likes service to be called' },
    );
    expect(page.degraded).toEqual(['likes']);
    expect(rows(page).map(([id, count, stale]) => [id, count, stale])).toEqual([
      ['e-4', undefined, false],
      ['e-3', '0', true],
      ['e-2', '1', true],
      ['e-1', '2', true],
    ]);
    await hung.close();
    likes = undefined;
  });

  it('are fresh again once likes is back (no restart)', async () => {
    likes = await startLikesStub(redis);
    const page = await waitUntil(
      async () => {
        const p = await getFeed('u9');
        return p.degraded.length === 0 ? p : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, message: 'fresh counts after likes came back' },
    );
    expect(rows(page)).toEqual([
      ['e-4', '0', false, false],
      ['e-3', '1', false, true],
      ['e-2', '1', false, false],
      ['e-1', '2', false, false],
    ]);
    expect(await redis.hgetall('failsoft:feed:counts')).toEqual({ 'e-1': '2', 'e-2': '1', 'e-3': '1', 'e-4': '0' });
  });
});
