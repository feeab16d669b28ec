import { Sidecar } from '@failsoft/sidecar';
import { createRedisClient, type StateRedis } from '@failsoft/state';
import { getFreePort, startRedisServer, waitUntil, type RedisServerHandle } from '@failsoft/testing';
import type { PostView } from '../posts/post-view';
import { LAST_GOOD_MAX_PAGES, LAST_GOOD_REDIS_PREFIX, LastGoodFeedCache } from './last-good-feed.cache';

jest.setTimeout(30_000);

let server: RedisServerHandle;
const clients: StateRedis[] = [];
const sidecar = new Sidecar({ service: 'gateway', auth: { token: 'spec-token-0123456789' }, logLevel: 'error' });

function client(port: number): StateRedis {
  const redis = createRedisClient({ port, logger: { warn: () => undefined }, connectTimeoutMs: 200 });
  clients.push(redis);
  return redis;
}

function item(id: string, likedByViewer: boolean | null = true): PostView {
  return {
    id,
    author: 'alice',
    caption: '',
    createdAt: new Date(0).toISOString(),
    createdAtMs: 0,
    width: 1,
    height: 1,
    contentType: 'image/png',
    thumbnailWidth: 1,
    thumbnailHeight: 1,
    imageUrl: `/api/posts/${id}/image`,
    thumbnailUrl: `/api/posts/${id}/image?variant=thumbnail`,
    likeCount: 3,
    likeCountStale: false,
    likedByViewer,
  };
}

beforeAll(async () => {
  server = await startRedisServer();
});

afterAll(async () => {
  for (const redis of clients) await redis.close();
  await sidecar.shutdown();
  await server?.stop();
});

describe('LastGoodFeedCache', () => {
  it('keeps every page in memory by (cursor, limit), without viewer-specific data', async () => {
    const cache = new LastGoodFeedCache(client(await getFreePort()), sidecar); // Redis down: memory only
    cache.remember('', 20, { items: [item('p1')], nextCursor: 'c1', degraded: ['likes'] }, 1000);
    cache.remember('c1', 20, { items: [item('p0')], nextCursor: '', degraded: [] }, 2000);
    expect(await cache.recall('', 20)).toEqual({ items: [item('p1', null)], nextCursor: 'c1', degraded: ['likes'], savedAtMs: 1000 });
    expect((await cache.recall('c1', 20))?.items.map((i) => i.id)).toEqual(['p0']);
    expect(await cache.recall('', 10)).toBeUndefined();
    expect(await cache.recall('c2', 20)).toBeUndefined();
  });

  it('is bounded: the least recently used pages go first', async () => {
    const cache = new LastGoodFeedCache(client(await getFreePort()), sidecar);
    for (let i = 0; i <= LAST_GOOD_MAX_PAGES; i++) cache.remember(`c${i}`, 20, { items: [], nextCursor: '', degraded: [] });
    expect(await cache.recall('c0', 20)).toBeUndefined();
    expect(await cache.recall(`c${LAST_GOOD_MAX_PAGES}`, 20)).toBeDefined();
  });

  it('shares first pages through Redis, so another gateway (or a restarted one) has them; ignores corrupt copies', async () => {
    const writer = client(server.port);
    const reader = client(server.port);
    await Promise.all([writer.ping(), reader.ping()]);
    new LastGoodFeedCache(writer, sidecar).remember('', 5, { items: [item('p9')], nextCursor: 'n', degraded: [] }, 5000);
    new LastGoodFeedCache(writer, sidecar).remember('later', 5, { items: [item('p8')], nextCursor: '', degraded: [] }, 5000);
    const other = new LastGoodFeedCache(reader, sidecar);
    const shared = await waitUntil(() => other.recall('', 5), { timeoutMs: 5000, message: 'the shared copy to be written' });
    expect(shared).toEqual({ items: [item('p9', null)], nextCursor: 'n', degraded: [], savedAtMs: 5000 });
    expect(await other.recall('later', 5)).toBeUndefined(); // only first pages are shared
    await writer.set(`${LAST_GOOD_REDIS_PREFIX}7`, '{"items":"nope"}');
    expect(await other.recall('', 7)).toBeUndefined();
  });
});
