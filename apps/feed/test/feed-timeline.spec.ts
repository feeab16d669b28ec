import { status } from '@grpc/grpc-js';
import type { GetFeedResponseOutput } from '@failsoft/contracts';
import type { ServiceClient } from '@failsoft/sidecar';
import type { StateRedis } from '@failsoft/state';
import { startSentinelTopology, waitUntil, type SentinelTopology } from '@failsoft/testing';
import { PostStreamConsumer } from '../src/app/post-stream.consumer';
import { feedClient, publishPost, startFeed, stateClient, type FeedInstance } from './feed-harness';

jest.setTimeout(90_000);

let topology: SentinelTopology;
let redis: StateRedis;
const instances: FeedInstance[] = [];
const clients: ServiceClient[] = [];

async function feed(id: string, extra: Record<string, string> = {}): Promise<{ instance: FeedInstance; client: ServiceClient }> {
  const instance = await startFeed(topology, id, extra);
  instances.push(instance);
  const client = feedClient(instance.address);
  clients.push(client);
  return { instance, client };
}

/** Every post id of the feed, page after page (also checks each page's size and the cursor chain). */
async function allIds(client: ServiceClient, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor = '';
  for (let pages = 0; pages < 100; pages++) {
    const page = await client.call<unknown, GetFeedResponseOutput>('GetFeed', { cursor, limit });
    ids.push(...page.items.map((item) => item.post?.id ?? '?'));
    if (page.nextCursor === '') return ids;
    expect(page.items).toHaveLength(limit);
    cursor = page.nextCursor;
  }
  throw new Error('more than 100 pages');
}

async function pendingOf(consumer?: string): Promise<number> {
  const summary = (await redis.xpending('failsoft:posts', 'feed')) as [number, string | null, string | null, Array<[string, string]> | null];
  if (consumer === undefined) return Number(summary[0]);
  return Number(summary[3]?.find(([name]) => name === consumer)?.[1] ?? 0);
}

beforeAll(async () => {
  topology = await startSentinelTopology();
  redis = stateClient(topology);
});

beforeEach(async () => {
  // every test starts from an empty stream, group and timeline
  const posts = await redis.keys('failsoft:post:*');
  await redis.del('failsoft:posts', 'failsoft:feed:timeline', 'failsoft:feed:counts', ...posts);
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.shutdown();
  for (const instance of instances.splice(0)) await instance.close();
});

afterAll(async () => {
  await redis?.close();
  await topology?.stop();
});

describe('feed timeline from the post stream', () => {
  it('shows posted events newest first, with working cursor paging', async () => {
    const { client } = await feed('feed-paging');
    const base = 1_700_000_000_000;
    // 25 posts, including ties of createdAtMs (same millisecond), published out of order
    const posts = Array.from({ length: 25 }, (_, i) => ({ id: `post-${String(i).padStart(2, '0')}`, createdAtMs: base + Math.floor(i / 2) * 1000 }));
    for (const post of [...posts].reverse()) await publishPost(redis, post);
    const expected = [...posts].sort((x, y) => y.createdAtMs - x.createdAtMs || (x.id < y.id ? 1 : -1)).map((p) => p.id);

    await waitUntil(async () => (await client.call<unknown, GetFeedResponseOutput>('GetFeed', { limit: 100 })).items.length === 25, {
      timeoutMs: 10_000,
      message: 'the 25 posts to reach the timeline',
    });
    expect(await allIds(client, 10)).toEqual(expected);
    expect(await allIds(client, 7)).toEqual(expected);
    expect(await allIds(client, 25)).toEqual(expected);

    // the default page size, and the items carry the post as upload stored it
    const first = await client.call<unknown, GetFeedResponseOutput>('GetFeed', {});
    expect(first.items).toHaveLength(20);
    expect(first.items[0].post).toEqual({
      id: 'post-24',
      author: 'author-1',
      caption: 'caption of post-24',
      createdAtMs: String(base + 12_000),
      width: 640,
      height: 480,
      contentType: 'image/png',
      thumbnailWidth: 320,
      thumbnailHeight: 240,
    });

    // a newer post published between pages does not shift the next page
    const page1 = await client.call<unknown, GetFeedResponseOutput>('GetFeed', { limit: 10 });
    await publishPost(redis, { id: 'post-newest', createdAtMs: base + 60_000 });
    await waitUntil(async () => (await client.call<unknown, GetFeedResponseOutput>('GetFeed', { limit: 1 })).items[0]?.post?.id === 'post-newest', { timeoutMs: 10_000 });
    const page2 = await client.call<unknown, GetFeedResponseOutput>('GetFeed', { limit: 10, cursor: page1.nextCursor });
    expect(page2.items.map((i) => i.post?.id)).toEqual(expected.slice(10, 20));
  });

  it('skips timeline entries whose post cannot be read, and keeps paging', async () => {
    const { client } = await feed('feed-missing');
    for (let i = 0; i < 5; i++) await publishPost(redis, { id: `m-${i}`, createdAtMs: 1_000 + i });
    await redis.del('failsoft:post:m-3');
    await waitUntil(async () => (await redis.zcard('failsoft:feed:timeline')) === 5, { timeoutMs: 10_000 });
    const page = await client.call<unknown, GetFeedResponseOutput>('GetFeed', { limit: 2 });
    expect(page.items.map((i) => i.post?.id)).toEqual(['m-4']);
    expect(page.nextCursor).not.toBe('');
    const rest = await client.call<unknown, GetFeedResponseOutput>('GetFeed', { limit: 10, cursor: page.nextCursor });
    expect(rest.items.map((i) => i.post?.id)).toEqual(['m-2', 'm-1', 'm-0']);
    expect(rest.nextCursor).toBe('');
  });

  it('takes a deleted post (upload DeletePost: `deleted` event) off the timeline with its last-seen like count', async () => {
    const { instance, client } = await feed('feed-deleted');
    for (let i = 0; i < 3; i++) await publishPost(redis, { id: `d-${i}`, createdAtMs: 2_000 + i });
    await redis.hset('failsoft:feed:counts', 'd-1', '4', 'd-2', '1');
    await waitUntil(async () => (await redis.zcard('failsoft:feed:timeline')) === 3, { timeoutMs: 10_000 });
    // as upload's delete script does: the hash goes, then the event
    await redis.del('failsoft:post:d-1');
    await redis.xadd('failsoft:posts', '*', 'type', 'deleted', 'postId', 'd-1');
    await redis.xadd('failsoft:posts', '*', 'type', 'deleted', 'postId', 'bad id!');
    await waitUntil(async () => (await redis.zcard('failsoft:feed:timeline')) === 2, { timeoutMs: 10_000, message: 'the deleted post to leave the timeline' });
    expect(await redis.zrange('failsoft:feed:timeline', 0, -1)).toEqual(['d-0', 'd-2']);
    expect(await redis.hgetall('failsoft:feed:counts')).toEqual({ 'd-2': '1' });
    const page = await client.call<unknown, GetFeedResponseOutput>('GetFeed', { limit: 10 });
    expect(page.items.map((i) => i.post?.id)).toEqual(['d-2', 'd-0']);
    await waitUntil(async () => (await pendingOf()) === 0, { timeoutMs: 10_000 });
    expect(instance.app.get(PostStreamConsumer).stats).toMatchObject({ added: 3, removed: 1, invalid: 1 });
  });

  it('rejects a bad cursor, limit or viewer id with INVALID_ARGUMENT', async () => {
    const { client } = await feed('feed-bad-input');
    const forged = Buffer.from('123:bad id', 'utf8').toString('base64url');
    const cases: Array<[unknown, RegExp]> = [
      [{ limit: 101 }, /^limit must be from 0 \(default 20\) to 100; got 101$/],
      [{ cursor: 'not a cursor!' }, /^cursor is malformed/],
      [{ cursor: forged }, /^cursor is malformed/],
      [{ cursor: Buffer.from('abc:post-1').toString('base64url') }, /^cursor is malformed/],
      [{ cursor: 'x'.repeat(1000) }, /^cursor is malformed/],
      [{ viewerId: 'a b' }, /^viewer_id must be 1-128 characters/],
    ];
    for (const [request, message] of cases) {
      const error = (await client.call('GetFeed', request).catch((e: unknown) => e)) as { code?: number; details?: string };
      expect({ request, code: error.code }).toEqual({ request, code: status.INVALID_ARGUMENT });
      expect(error.details).toMatch(message);
    }
    const trending = (await client.call('GetTrending', { limit: 1000 }).catch((e: unknown) => e)) as { code?: number; details?: string };
    expect(trending.code).toBe(status.INVALID_ARGUMENT);
    // still serving
    expect(await client.call('GetFeed', {})).toEqual({ items: [], nextCursor: '', degraded: [] });
  });

  it('a restarted consumer (same name) re-reads its pending entries: no loss, no duplicates', async () => {
    const first = await feed('feed-restart');
    for (let i = 0; i < 5; i++) await publishPost(redis, { id: `r-a${i}`, createdAtMs: 10_000 + i });
    await waitUntil(async () => (await redis.zcard('failsoft:feed:timeline')) === 5, { timeoutMs: 10_000, message: 'the first posts on the timeline' });
    await first.instance.close();

    // while it is down: more posts, and 3 of them delivered to it but never acknowledged (a crash
    // between the read and the timeline write)
    for (let i = 0; i < 5; i++) await publishPost(redis, { id: `r-b${i}`, createdAtMs: 20_000 + i });
    const delivered = (await redis.call('XREADGROUP', 'GROUP', 'feed', 'feed-restart', 'COUNT', 3, 'STREAMS', 'failsoft:posts', '>')) as Array<[string, unknown[]]>;
    expect(delivered[0][1]).toHaveLength(3);
    expect(await pendingOf('feed-restart')).toBe(3);
    expect(await redis.zcard('failsoft:feed:timeline')).toBe(5);

    const second = await feed('feed-restart');
    await waitUntil(async () => (await redis.zcard('failsoft:feed:timeline')) === 10 && (await pendingOf()) === 0, {
      timeoutMs: 10_000,
      message: 'every post on the timeline and nothing pending',
    });
    const ids = await allIds(second.client, 4);
    expect(ids).toEqual(['r-b4', 'r-b3', 'r-b2', 'r-b1', 'r-b0', 'r-a4', 'r-a3', 'r-a2', 'r-a1', 'r-a0']);
    expect(second.instance.app.get(PostStreamConsumer).stats.acked).toBe(5);
  });

  it('claims entries left pending by a dead consumer after the idle time', async () => {
    for (let i = 0; i < 4; i++) await publishPost(redis, { id: `c-${i}`, createdAtMs: 30_000 + i });
    await redis.xgroup('CREATE', 'failsoft:posts', 'feed', '0', 'MKSTREAM');
    await redis.call('XREADGROUP', 'GROUP', 'feed', 'feed-dead', 'COUNT', 10, 'STREAMS', 'failsoft:posts', '>');
    expect(await pendingOf('feed-dead')).toBe(4);

    const live = await feed('feed-live', { FEED_CLAIM_IDLE_MS: '300' });
    await waitUntil(async () => (await redis.zcard('failsoft:feed:timeline')) === 4 && (await pendingOf()) === 0, {
      timeoutMs: 10_000,
      message: 'the dead consumer\'s entries to be claimed and written',
    });
    expect(live.instance.app.get(PostStreamConsumer).stats.claimed).toBe(4);
    expect(await allIds(live.client, 10)).toEqual(['c-3', 'c-2', 'c-1', 'c-0']);
  });

  /** The consumers of the group, by name. */
  async function consumers(): Promise<string[]> {
    const reply = (await redis.call('XINFO', 'CONSUMERS', 'failsoft:posts', 'feed')) as Array<Array<string | number>>;
    return reply.map((fields) => String(fields[fields.indexOf('name') + 1])).sort();
  }
  /** Makes entries pending with `consumer` again, as if it had read them and not yet acknowledged them. */
  async function pendWith(consumer: string, ids: string[]): Promise<void> {
    await redis.call('XCLAIM', 'failsoft:posts', 'feed', consumer, 0, ...ids, 'FORCE', 'JUSTID');
  }

  it('a drained consumer writes its pending entries, then leaves the group (XGROUP DELCONSUMER)', async () => {
    const { instance } = await feed('feed-drain');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await publishPost(redis, { id: `d-${i}`, createdAtMs: 60_000 + i }));
    await waitUntil(async () => (await redis.zcard('failsoft:feed:timeline')) === 5 && (await pendingOf()) === 0, { timeoutMs: 10_000, message: 'the posts on the timeline' });
    // two of them read again and not yet written when the drain starts
    await redis.zrem('failsoft:feed:timeline', 'd-3', 'd-4');
    await pendWith('feed-drain', ids.slice(3));
    expect(await pendingOf('feed-drain')).toBe(2);
    expect(await consumers()).toEqual(['feed-drain']);

    await instance.close();
    expect(await consumers()).toEqual([]);
    expect(await pendingOf()).toBe(0);
    expect((await redis.zrange('failsoft:feed:timeline', 0, -1)).sort()).toEqual(['d-0', 'd-1', 'd-2', 'd-3', 'd-4']);
    expect(instance.app.get(PostStreamConsumer).stats.deletedConsumers).toBe(1);
  });

  it('a drained consumer that cannot write its pending entries gives them to a live consumer, then leaves', async () => {
    const settings = { FEED_CLAIM_IDLE_MS: '2000' };
    const live = await feed('feed-live-2', settings);
    const draining = await feed('feed-drain-2', settings);
    await waitUntil(async () => (await consumers()).length === 2, { timeoutMs: 10_000, message: 'both consumers in the group' });
    const ids = [await publishPost(redis, { id: 'g-0', createdAtMs: 70_000 }), await publishPost(redis, { id: 'g-1', createdAtMs: 70_001 })];
    await waitUntil(async () => (await redis.zcard('failsoft:feed:timeline')) === 2 && (await pendingOf()) === 0, { timeoutMs: 10_000, message: 'the posts on the timeline' });
    await redis.set('failsoft:feed:timeline', 'not a sorted set'); // every timeline write fails (WRONGTYPE)
    await pendWith('feed-drain-2', ids);

    await draining.instance.close();
    expect(await consumers()).toEqual(['feed-live-2']);
    expect(await pendingOf('feed-live-2')).toBe(2);
    await redis.del('failsoft:feed:timeline'); // writes work again: the live consumer's next claim pass writes them
    await waitUntil(async () => (await redis.zcard('failsoft:feed:timeline')) === 2 && (await pendingOf()) === 0, { timeoutMs: 10_000, message: 'the given entries on the timeline' });
    expect(live.instance.app.get(PostStreamConsumer).stats.claimed).toBeGreaterThanOrEqual(2);
  });

  it('keeps a drained consumer whose pending entries neither it nor anyone else can take (nothing dropped)', async () => {
    const alone = await feed('feed-alone');
    const id = await publishPost(redis, { id: 'a-0', createdAtMs: 80_000 });
    await waitUntil(async () => (await redis.zcard('failsoft:feed:timeline')) === 1 && (await pendingOf()) === 0, { timeoutMs: 10_000 });
    await redis.set('failsoft:feed:timeline', 'not a sorted set');
    await pendWith('feed-alone', [id]);
    await alone.instance.close();
    expect(await consumers()).toEqual(['feed-alone']);
    expect(await pendingOf('feed-alone')).toBe(1);
    await redis.del('failsoft:feed:timeline');
  });

  it('deletes consumers dead for 10x the claim idle time with nothing pending, and only those', async () => {
    await redis.xgroup('CREATE', 'failsoft:posts', 'feed', '0', 'MKSTREAM');
    await redis.call('XGROUP', 'CREATECONSUMER', 'failsoft:posts', 'feed', 'feed-ghost');
    await publishPost(redis, { id: 'h-0', createdAtMs: 90_000 });
    await redis.call('XREADGROUP', 'GROUP', 'feed', 'feed-holder', 'COUNT', 1, 'STREAMS', 'failsoft:posts', '>'); // holds an entry until it is claimed
    const live = await feed('feed-sweeper', { FEED_CLAIM_IDLE_MS: '300' });
    expect((await consumers()).includes('feed-ghost')).toBe(true);
    await waitUntil(async () => (await consumers()).join() === 'feed-sweeper', { timeoutMs: 15_000, message: 'the dead consumers to be deleted' });
    expect(live.instance.app.get(PostStreamConsumer).stats).toMatchObject({ claimed: 1, deletedConsumers: 2 });
    expect(await redis.zrange('failsoft:feed:timeline', 0, -1)).toEqual(['h-0']);
  });

  it('acknowledges malformed events without effect and keeps consuming', async () => {
    const { instance, client } = await feed('feed-malformed');
    await redis.xadd('failsoft:posts', '*', 'type', 'created', 'postId', 'bad id!', 'createdAtMs', '1');
    await redis.xadd('failsoft:posts', '*', 'type', 'created', 'postId', 'no-time');
    await redis.xadd('failsoft:posts', '*', 'type', 'created', 'postId', 'neg-time', 'createdAtMs', '-5');
    await redis.xadd('failsoft:posts', '*', 'type', 'something-else', 'postId', 'other');
    await publishPost(redis, { id: 'good', createdAtMs: 40_000 });
    await waitUntil(async () => (await client.call<unknown, GetFeedResponseOutput>('GetFeed', {})).items.length === 1, { timeoutMs: 10_000 });
    expect(await redis.zrange('failsoft:feed:timeline', 0, -1)).toEqual(['good']);
    expect(await pendingOf()).toBe(0);
    expect(instance.app.get(PostStreamConsumer).stats).toMatchObject({ invalid: 3, acked: 5, added: 1 });
  });

  it('keeps consuming across a Redis master failover (SIGKILL)', async () => {
    const { instance, client } = await feed('feed-failover');
    await publishPost(redis, { id: 'f-before', createdAtMs: 50_000 });
    await waitUntil(async () => (await redis.zcard('failsoft:feed:timeline')) === 1, { timeoutMs: 10_000 });
    await redis.call('WAIT', 2, 1000); // the spec's own writes are on the replicas too

    const before = await topology.currentMaster();
    await topology.killMaster('SIGKILL');
    await topology.waitForFailover(before, 30_000);
    await waitUntil(async () => (await redis.ping()) === 'PONG', { timeoutMs: 20_000, message: 'the spec client to reach the new master' });
    await publishPost(redis, { id: 'f-after', createdAtMs: 50_001 });

    await waitUntil(
      async () => (await client.call<unknown, GetFeedResponseOutput>('GetFeed', {})).items.map((i) => i.post?.id).join() === 'f-after,f-before',
      { timeoutMs: 30_000, message: 'the post made after the failover in the feed' },
    );
    expect(instance.app.get(PostStreamConsumer).running).toBe(true);
  });
});
