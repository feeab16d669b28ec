import type { GetTrendingResponseOutput } from '@failsoft/contracts';
import type { ServiceClient } from '@failsoft/sidecar';
import { fencedWrite, isFencingError, type StateRedis } from '@failsoft/state';
import { startSentinelTopology, waitUntil, type SentinelTopology } from '@failsoft/testing';
import { TrendingJob } from '../src/app/trending.job';
import { feedClient, publishPost, startFeed, startLikesStub, stateClient, type FeedInstance, type LikesStub } from './feed-harness';

jest.setTimeout(90_000);

const FAST = { TRENDING_INTERVAL_MS: '200', TRENDING_LEASE_TTL_MS: '2000' };

let topology: SentinelTopology;
let redis: StateRedis;
let likes: LikesStub;
let a: FeedInstance;
let b: FeedInstance;
let viaA: ServiceClient;
let viaB: ServiceClient;

const job = (instance: FeedInstance) => instance.app.get(TrendingJob);

beforeAll(async () => {
  topology = await startSentinelTopology();
  redis = stateClient(topology);
  likes = await startLikesStub(redis);
  const now = Date.now();
  for (const [i, id] of ['t-1', 't-2', 't-3'].entries()) await publishPost(redis, { id, createdAtMs: now - i * 1000 });
  await redis.sadd('failsoft:likes:t-2', 'u1', 'u2', 'u3');
  await redis.sadd('failsoft:likes:t-3', 'u1');
  [a, b] = await Promise.all([startFeed(topology, 'feed-a', FAST), startFeed(topology, 'feed-b', FAST)]);
  viaA = feedClient(a.address);
  viaB = feedClient(b.address);
});

afterAll(async () => {
  viaA?.shutdown();
  viaB?.shutdown();
  await Promise.all([a?.close(), b?.close()]);
  await likes?.close();
  await redis?.close();
  await topology?.stop();
});

describe('trending singleton (lease + fencing)', () => {
  let leader: FeedInstance;
  let standby: FeedInstance;
  let firstToken: number;

  it('two instances: exactly one leader computes, and both serve its result', async () => {
    const result = await waitUntil(
      async () => {
        const r = await viaA.call<unknown, GetTrendingResponseOutput>('GetTrending', {});
        return r.items.length === 2 ? r : undefined;
      },
      { timeoutMs: 15_000, message: 'a trending result' },
    );
    expect([job(a).isLeader, job(b).isLeader].filter(Boolean)).toHaveLength(1);
    [leader, standby] = job(a).isLeader ? [a, b] : [b, a];
    firstToken = job(leader).term?.token ?? 0;
    expect(firstToken).toBeGreaterThan(0);

    // the ranking: liked posts only, hottest first, with the counts of the likes service
    expect(result.items.map((i) => [i.post?.id, i.likeCount])).toEqual([
      ['t-2', '3'],
      ['t-3', '1'],
    ]);
    expect(result.items[0].score).toBeGreaterThan(result.items[1].score);
    expect(result.items[0].post).toMatchObject({ id: 't-2', author: 'author-1', width: 640 });
    expect(await viaA.call('GetTrending', { limit: 1 })).toMatchObject({ items: [{ post: { id: 't-2' } }] });

    // over several periods, only the leader runs the job
    const runsBefore = job(leader).runs;
    await waitUntil(() => job(leader).runs >= runsBefore + 3, { timeoutMs: 10_000, message: 'three more runs of the leader' });
    expect(job(standby).runs).toBe(0);
    expect(job(standby).isLeader).toBe(false);

    for (const client of [viaA, viaB]) {
      const r = await client.call<unknown, GetTrendingResponseOutput>('GetTrending', {});
      expect(r.leaderInstanceId).toBe(leader.id);
      expect(Number(r.fencingToken)).toBe(firstToken);
      expect(Number(r.computedAtMs)).toBeGreaterThan(0);
    }
  });

  it('stopping the leader hands the job to the standby with a larger fencing token; the old token is refused', async () => {
    await leader.close();
    const survivor = standby === a ? viaA : viaB;
    const result = await waitUntil(
      async () => {
        const r = await survivor.call<unknown, GetTrendingResponseOutput>('GetTrending', {});
        return r.leaderInstanceId === standby.id ? r : undefined;
      },
      { timeoutMs: 15_000, message: 'the standby to take the job over' },
    );
    expect(job(standby).isLeader).toBe(true);
    expect(Number(result.fencingToken)).toBeGreaterThan(firstToken);
    expect(Number(result.fencingToken)).toBe(job(standby).term?.token);
    expect(result.items.map((i) => i.post?.id)).toEqual(['t-2', 't-3']);

    // a stale leader writing with the old token is rejected, and the new result stays
    const stale = await fencedWrite(redis, 'feed-trending', firstToken, [['SET', 'failsoft:feed:trending', '{"stale":true}']]).catch((e: unknown) => e);
    expect(isFencingError(stale)).toBe(true);
    expect((stale as Error).message).toMatch(/token \d+ is stale/);
    expect(JSON.parse((await redis.get('failsoft:feed:trending')) ?? '{}')).toMatchObject({ leaderInstanceId: standby.id });
  });
});
