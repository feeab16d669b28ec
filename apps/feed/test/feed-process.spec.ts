import type { ChildProcess } from 'node:child_process';
import type { GetTrendingResponseOutput } from '@failsoft/contracts';
import type { ServiceClient } from '@failsoft/sidecar';
import type { StateRedis } from '@failsoft/state';
import { killAndWait, outputOf, spawnTsNode, startSentinelTopology, waitForOutput, waitUntil, type SentinelTopology } from '@failsoft/testing';
import { feedClient, feedEnv, publishPost, startLikesStub, stateClient, type LikesStub } from './feed-harness';

jest.setTimeout(120_000);

/** The feed as the platform runs it: `main.ts` in its own process. */
interface FeedProcess {
  readonly id: string;
  readonly child: ChildProcess;
  readonly client: ServiceClient;
}

let topology: SentinelTopology;
let redis: StateRedis;
let likes: LikesStub;
const processes: FeedProcess[] = [];

async function spawnFeed(id: string): Promise<FeedProcess> {
  const child = spawnTsNode('apps/feed/src/main.ts', [], feedEnv(topology, id, { LOG_LEVEL: 'info', TRENDING_INTERVAL_MS: '200', TRENDING_LEASE_TTL_MS: '3000' }));
  const [, port] = await waitForOutput(child, /"msg":"listening","host":"[^"]+","port":(\d+)/, 60_000);
  await waitForOutput(child, /"url":"http[^"]*"[^\n]*"msg":"listening"|"msg":"listening"[^\n]*"url":"http/, 30_000);
  const feed = { id, child, client: feedClient(`127.0.0.1:${port}`) };
  processes.push(feed);
  return feed;
}

function trending(feed: FeedProcess): Promise<GetTrendingResponseOutput> {
  return feed.client.call<unknown, GetTrendingResponseOutput>('GetTrending', {});
}

beforeAll(async () => {
  topology = await startSentinelTopology();
  redis = stateClient(topology);
  likes = await startLikesStub(redis);
  await publishPost(redis, { id: 'k-1', createdAtMs: Date.now() });
  await redis.sadd('failsoft:likes:k-1', 'u1');
});

afterAll(async () => {
  for (const feed of processes) {
    feed.client.shutdown();
    await killAndWait(feed.child, 'SIGKILL').catch(() => undefined);
  }
  await likes?.close();
  await redis?.close();
  await topology?.stop();
});

describe('feed processes (main.ts)', () => {
  it('SIGKILL of the trending leader: the standby takes over after the lease expires, with a larger token; SIGTERM drains', async () => {
    const [p1, p2] = await Promise.all([spawnFeed('feed-p1'), spawnFeed('feed-p2')]);
    const first = await waitUntil(
      async () => {
        const r = await trending(p1);
        return r.items.length === 1 ? r : undefined;
      },
      { timeoutMs: 20_000, message: 'a first trending result' },
    );
    const [leader, standby] = first.leaderInstanceId === p1.id ? [p1, p2] : [p2, p1];
    expect(first.leaderInstanceId).toBe(leader.id);
    expect((await trending(standby)).leaderInstanceId).toBe(leader.id);

    // a crash: the lease is NOT released, the standby must wait for it to expire
    await killAndWait(leader.child, 'SIGKILL');
    const next = await waitUntil(
      async () => {
        const r = await trending(standby);
        return r.leaderInstanceId === standby.id ? r : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'the standby to take the job over' },
    );
    expect(Number(next.fencingToken)).toBeGreaterThan(Number(first.fencingToken));
    expect(next.items.map((i) => [i.post?.id, i.likeCount])).toEqual([['k-1', '1']]);
    expect(outputOf(standby.child)).toMatch(/"msg":"leading the trending job"/);

    // SIGTERM: drains (gRPC server, consumer, job), releases the lease, exits
    const exit = await killAndWait(standby.child, 'SIGTERM', 20_000);
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
    expect(outputOf(standby.child)).toMatch(/"msg":"drained","graceful":true/);
    expect(await redis.get('failsoft:lease:{feed-trending}')).toBeNull();
  });
});
