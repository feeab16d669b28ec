import type { CountsResponseOutput } from '@failsoft/contracts';
import type { ServiceClient } from '@failsoft/sidecar';
import { redisCommand, startSentinelTopology, waitUntil, type SentinelTopology } from '@failsoft/testing';
import { likesClient, startLikes, type LikesInstance } from './likes-harness';

jest.setTimeout(120_000);

let topology: SentinelTopology;
let likes: LikesInstance;
let client: ServiceClient;

beforeAll(async () => {
  topology = await startSentinelTopology();
  likes = await startLikes(topology, 'likes-failover');
  client = likesClient(likes.address);
});

afterAll(async () => {
  client?.shutdown();
  await likes?.close();
  await topology?.stop();
});

describe('likes across a Redis master failover (SIGKILL)', () => {
  it('loses no acknowledged like, and likes resume after the failover', async () => {
    const post = 'p-failover';
    const acknowledged = new Set<string>();
    let killed = false;
    let ackedAfterFailover = 0;
    let stop = false;
    const writers = Array.from({ length: 16 }, async (_, w) => {
      for (let seq = 0; !stop; seq++) {
        const user = `w${w}-${seq}`;
        try {
          await client.call('Like', { userId: user, postId: post });
          acknowledged.add(user);
          if (killed) ackedAfterFailover++;
        } catch {
          // not acknowledged: the outcome is unknown, nothing is asserted about it
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }
    });
    try {
      await waitUntil(() => acknowledged.size >= 200, { timeoutMs: 20_000, message: '200 acknowledged likes before the kill' });
      const before = await topology.currentMaster();
      await topology.killMaster('SIGKILL');
      killed = true;
      const after = await topology.waitForFailover(before, 30_000);
      expect(after.port).not.toBe(before.port);
      await waitUntil(() => ackedAfterFailover >= 100, { timeoutMs: 30_000, message: '100 acknowledged likes after the failover' });
    } finally {
      stop = true;
      await Promise.all(writers);
    }

    // every acknowledged like is on the new master
    const master = await topology.currentMaster();
    const members = new Set((await redisCommand(master.port, ['SMEMBERS', `failsoft:likes:${post}`])) as string[]);
    const lost = [...acknowledged].filter((user) => !members.has(user));
    expect(lost).toEqual([]);
    expect(acknowledged.size).toBeGreaterThanOrEqual(300);

    // and the service reads them back after the failover
    const counts = await client.call<unknown, CountsResponseOutput>('Counts', { postIds: [post], viewerId: [...acknowledged][0] });
    expect(Number(counts.counts[0].count)).toBe(members.size);
    expect(counts.counts[0].likedByViewer).toBe(true);
  });
});
