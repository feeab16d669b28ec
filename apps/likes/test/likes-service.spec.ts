import { status } from '@grpc/grpc-js';
import { CONTRACT_LIMITS, likesServiceDefinition, type CountsResponseOutput, type LikeResponseOutput } from '@failsoft/contracts';
import { ServiceClient, StaticResolver } from '@failsoft/sidecar';
import { redisCommand, startSentinelTopology, type SentinelTopology } from '@failsoft/testing';
import { likesClient, startLikes, type LikesInstance } from './likes-harness';

jest.setTimeout(60_000);

let topology: SentinelTopology;
let a: LikesInstance;
let b: LikesInstance;
let viaA: ServiceClient;
let viaB: ServiceClient;

/** Reads straight from the current master (not through the service under test). */
async function master(args: Array<string | number>): Promise<unknown> {
  return redisCommand((await topology.currentMaster()).port, args);
}

/** The gRPC error of a call that must fail. */
async function failure(call: Promise<unknown>): Promise<{ code: number; details: string }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e as { code: number; details: string },
  );
  if (error === undefined) throw new Error('the call succeeded; it was expected to fail');
  return error;
}

beforeAll(async () => {
  topology = await startSentinelTopology();
  [a, b] = await Promise.all([startLikes(topology, 'likes-a'), startLikes(topology, 'likes-b')]);
  viaA = likesClient(a.address);
  viaB = likesClient(b.address);
});

afterAll(async () => {
  viaA?.shutdown();
  viaB?.shutdown();
  await Promise.all([a?.close(), b?.close()]);
  await topology?.stop();
});

describe('likes service (two instances, real Sentinel topology)', () => {
  it('200 concurrent Likes by one user on one post count once, and every reply says so', async () => {
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? viaA : viaB).call<unknown, LikeResponseOutput>('Like', { userId: 'u-burst', postId: 'p-burst' })),
    );
    expect(replies.map((r) => [r.postId, r.count, r.liked])).toEqual(Array.from({ length: 200 }, () => ['p-burst', '1', true]));
    expect(await master(['SMEMBERS', 'failsoft:likes:p-burst'])).toEqual(['u-burst']);
  });

  it('like on one instance and unlike on the other stay consistent', async () => {
    const post = 'p-two-instances';
    expect(await viaA.call('Like', { userId: 'u1', postId: post })).toEqual({ postId: post, count: '1', liked: true });
    expect(await viaB.call('Like', { userId: 'u2', postId: post })).toEqual({ postId: post, count: '2', liked: true });
    expect(await viaB.call('Unlike', { userId: 'u1', postId: post })).toEqual({ postId: post, count: '1', liked: false });
    // a duplicate Unlike is a no-op, also on the other instance
    expect(await viaA.call('Unlike', { userId: 'u1', postId: post })).toEqual({ postId: post, count: '1', liked: false });

    // concurrent duplicates of Like and Unlike of different users, spread over both instances
    await Promise.all([
      ...Array.from({ length: 40 }, (_, i) => (i % 2 ? viaA : viaB).call('Like', { userId: 'u3', postId: post })),
      ...Array.from({ length: 40 }, (_, i) => (i % 2 ? viaB : viaA).call('Unlike', { userId: 'u2', postId: post })),
    ]);
    for (const client of [viaA, viaB]) {
      const u3 = await client.call<unknown, CountsResponseOutput>('Counts', { postIds: [post], viewerId: 'u3' });
      expect(u3.counts).toEqual([{ postId: post, count: '1', likedByViewer: true, _likedByViewer: 'likedByViewer' }]);
      const u2 = await client.call<unknown, CountsResponseOutput>('Counts', { postIds: [post], viewerId: 'u2' });
      expect(u2.counts[0]).toMatchObject({ count: '1', likedByViewer: false });
    }
    expect(await master(['SMEMBERS', 'failsoft:likes:p-two-instances'])).toEqual(['u3']);
  });

  it('Counts answers a batch: one entry per distinct id in request order, 0 for unknown posts, viewer flag only when asked', async () => {
    for (const user of ['c1', 'c2', 'c3']) await viaA.call('Like', { userId: user, postId: 'p-count-3' });
    await viaB.call('Like', { userId: 'c1', postId: 'p-count-1' });

    const plain = await viaA.call<unknown, CountsResponseOutput>('Counts', { postIds: ['p-count-1', 'p-unknown', 'p-count-3', 'p-count-1'] });
    expect(plain.counts.map((c) => [c.postId, c.count])).toEqual([
      ['p-count-1', '1'],
      ['p-unknown', '0'],
      ['p-count-3', '3'],
    ]);
    for (const entry of plain.counts) expect(entry).not.toHaveProperty('likedByViewer');

    const forViewer = await viaB.call<unknown, CountsResponseOutput>('Counts', { postIds: ['p-count-3', 'p-count-1', 'p-unknown'], viewerId: 'c2' });
    expect(forViewer.counts.map((c) => [c.postId, c.count, c.likedByViewer])).toEqual([
      ['p-count-3', '3', true],
      ['p-count-1', '1', false],
      ['p-unknown', '0', false],
    ]);

    expect(await viaA.call('Counts', { postIds: [] })).toEqual({ counts: [] });
    const max = Array.from({ length: CONTRACT_LIMITS.countsBatchMax }, (_, i) => `p-max-${i}`);
    const full = await viaA.call<unknown, CountsResponseOutput>('Counts', { postIds: max });
    expect(full.counts).toHaveLength(CONTRACT_LIMITS.countsBatchMax);
  });

  it('rejects bad ids with INVALID_ARGUMENT naming the field, changes nothing, and keeps serving', async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['Like', { userId: '', postId: 'p-bad' }, /^user_id is required: it must be 1-128 characters/],
      ['Like', { userId: 'u-bad', postId: '' }, /^post_id is required/],
      ['Like', { userId: 'u-bad', postId: 'p bad' }, /^post_id has a character outside the allowed set.*got "p bad"$/],
      ['Like', { userId: 'u-bad', postId: 'p-{bad}' }, /^post_id has a character outside the allowed set/],
      ['Unlike', { userId: 'x'.repeat(129), postId: 'p-bad' }, /^user_id is 129 characters long/],
      ['Counts', { postIds: ['ok', 'not*ok'] }, /^post_ids\[1\] has a character outside the allowed set/],
      ['Counts', { postIds: ['ok'], viewerId: 'bad viewer' }, /^viewer_id has a character outside the allowed set/],
      ['Counts', { postIds: Array.from({ length: CONTRACT_LIMITS.countsBatchMax + 1 }, (_, i) => `p${i}`) }, /^post_ids has 501 ids; at most 500 are allowed per Counts call$/],
    ];
    for (const [method, request, message] of cases) {
      const error = await failure(viaA.call(method, request));
      expect({ method, code: error.code }).toEqual({ method, code: status.INVALID_ARGUMENT });
      expect(error.details).toMatch(message);
    }
    expect(await master(['EXISTS', 'failsoft:likes:p-bad', 'failsoft:likes:p bad'])).toBe(0);
    // still serving
    expect(await viaA.call('Like', { userId: 'u-after', postId: 'p-after' })).toEqual({ postId: 'p-after', count: '1', liked: true });
  });

  it('refuses calls without the shared token', async () => {
    const intruder = new ServiceClient({
      service: 'likes',
      definition: likesServiceDefinition(),
      resolver: new StaticResolver({ service: 'likes', addresses: [a.address] }),
      caller: { service: 'intruder', instance: 'x' },
      auth: { token: 'wrong-token-0123456789' },
      retry: false,
    });
    try {
      expect((await failure(intruder.call('Like', { userId: 'evil', postId: 'p-evil' }))).code).toBe(status.UNAUTHENTICATED);
    } finally {
      intruder.shutdown();
    }
    expect(await master(['EXISTS', 'failsoft:likes:p-evil'])).toBe(0);
  });

  it('reports readiness with the redis check', async () => {
    const res = await fetch(`${await a.app.getUrl()}/readyz`);
    const body = (await res.json()) as { ready: boolean; checks: Record<string, { ok: boolean }> };
    expect(res.status).toBe(200);
    expect(body.checks.redis).toEqual({ ok: true });
  });
});
