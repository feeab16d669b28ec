import { randomUUID } from 'node:crypto';
import { redisCommand, waitUntil } from '@failsoft/testing';
import { describe as describeResult, type Api, type ApiResult, type LikeBody, type UploadFile } from './support/api';
import { smallPng } from './support/images';
import { figure, gatewaySnapshots, progress, startTestPlatform, stopTestPlatform, waitForFullService, type TestPlatform } from './support/platform';

/**
 * Likes are idempotent per (user, post) and consistent whichever gateway and likes instance serve
 * them: 200 concurrent likes by one user on one post count once; a like through one gateway and
 * an unlike through the other leave every view agreeing.
 */

jest.setTimeout(180_000);

let tp: TestPlatform;
let image: UploadFile;

async function newPost(caption: string): Promise<string> {
  const res = await tp.api.createPost(tp.tokens.alice, image, { caption, idempotencyKey: `likes-${randomUUID()}` });
  if (res.status !== 201) throw new Error(describeResult(res, 'creating a post'));
  return (res.json as { post: { id: string } }).post.id;
}

/** Calls served by each likes instance so far (from its sidecar's /snapshot). */
async function likesServed(): Promise<Record<string, number>> {
  const served: Record<string, number> = {};
  for (const id of tp.platform.instancesOf('likes')) {
    const res = await tp.api.at(tp.platform.process(id).url as string).request<{ server?: { served: number } }>('/snapshot');
    served[id] = res.json?.server?.served ?? NaN;
  }
  return served;
}

async function membersOf(postId: string): Promise<string[]> {
  const master = await tp.platform.redis.currentMaster();
  return ((await redisCommand(master.port, ['SMEMBERS', `failsoft:likes:${postId}`], { timeoutMs: 2000, ...tp.platform.redis.auth.data })) as string[]).sort();
}

/** The post as `viewer` sees it through `api`: its count and whether the viewer likes it. */
async function view(api: Api, token: string, postId: string): Promise<{ likeCount: number | null; likedByViewer: boolean | null }> {
  const res = await api.getPost(token, postId);
  if (res.status !== 200 || !res.json) throw new Error(describeResult(res, `GET /api/posts/${postId}`));
  return { likeCount: res.json.post.likeCount, likedByViewer: res.json.post.likedByViewer };
}

beforeAll(async () => {
  tp = await startTestPlatform('likes');
  image = await smallPng(32, 5);
}, 240_000);

afterAll(async () => {
  await stopTestPlatform(tp);
});

afterEach(async () => {
  await waitForFullService(tp, 60_000);
});

describe('likes are idempotent and consistent', () => {
  it('200 concurrent likes by one user on one post count once', async () => {
    const postId = await newPost('liked 200 times at once');
    // right after start a gateway may not have heard of the second likes instance yet: wait until
    // every gateway's discovery view holds both, so the spread below is about balancing, not timing
    await waitUntil(
      async () =>
        (await gatewaySnapshots(tp)).every(
          (snapshot) => (snapshot.downstreams.find((d) => d.service === 'likes')?.instances.filter((i) => !i.ejected).length ?? 0) >= 2,
        ),
      { timeoutMs: 30_000, intervalMs: 200, message: 'both likes instances in every gateway view' },
    );
    const servedBefore = await likesServed();
    const t = performance.now();
    // half through each gateway (the front door may favour one right after start); each gateway
    // prefers the likes instance of its own zone, so both likes instances take part
    const gateways = Object.values(tp.gateways);
    const results: Array<ApiResult<LikeBody>> = await Promise.all(Array.from({ length: 200 }, (_, i) => gateways[i % gateways.length].like(tp.tokens.bob, postId, 30_000)));
    const ms = performance.now() - t;
    const servedAfter = await likesServed();
    const statuses = results.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
    const served = Object.fromEntries(Object.keys(servedAfter).map((id) => [id, servedAfter[id] - servedBefore[id]]));
    const fromGateways = await Promise.all(Object.values(tp.gateways).map((gw) => view(gw, tp.tokens.bob, postId)));
    const members = await membersOf(postId);
    figure('200-concurrent-likes', { statuses, seconds: Number((ms / 1000).toFixed(2)), likeCounts: [...new Set(results.map((r) => r.json?.likeCount))], servedByLikesInstances: served, members, views: fromGateways });
    const failed = results.filter((r) => r.status !== 200);
    if (failed.length) throw new Error(`${failed.length} of 200 likes failed, e.g. ${describeResult(failed[0])}`);
    expect(results.every((r) => r.json?.liked === true && r.json.likeCount === 1)).toBe(true);
    expect(members).toEqual(['bob']);
    expect(fromGateways).toEqual([
      { likeCount: 1, likedByViewer: true },
      { likeCount: 1, likedByViewer: true },
    ]);
    // the calls were spread over both likes instances (zone-aware balancing: each gateway's own zone first)
    expect(Object.values(served).every((n) => n > 0)).toBe(true);
  });

  it('like through one gateway, unlike through the other: every view agrees, every time', async () => {
    const postId = await newPost('liked and unliked across instances');
    const [g1, g2] = Object.keys(tp.gateways);
    const steps: string[] = [];
    for (let round = 0; round < 10; round++) {
      // alternate which gateway likes and which unlikes
      const [likeVia, unlikeVia] = round % 2 === 0 ? [g1, g2] : [g2, g1];
      const liked = await tp.gateways[likeVia].like(tp.tokens.carol, postId);
      expect(liked.status).toBe(200);
      expect(liked.json).toEqual({ postId, likeCount: 1, liked: true });
      for (const gw of Object.values(tp.gateways)) expect(await view(gw, tp.tokens.carol, postId)).toEqual({ likeCount: 1, likedByViewer: true });
      expect(await membersOf(postId)).toEqual(['carol']);
      const unliked = await tp.gateways[unlikeVia].unlike(tp.tokens.carol, postId);
      expect(unliked.status).toBe(200);
      expect(unliked.json).toEqual({ postId, likeCount: 0, liked: false });
      for (const gw of Object.values(tp.gateways)) expect(await view(gw, tp.tokens.carol, postId)).toEqual({ likeCount: 0, likedByViewer: false });
      expect(await membersOf(postId)).toEqual([]);
      steps.push(`like via ${likeVia}, unlike via ${unlikeVia}`);
    }
    figure('like-unlike-across-gateways', { rounds: steps.length, final: await view(tp.api, tp.tokens.carol, postId) });
  });

  it('likes and unlikes racing through both gateways settle to one state that every view agrees on', async () => {
    const postId = await newPost('raced');
    const [g1, g2] = Object.values(tp.gateways);
    // 50 likes through one gateway and 50 unlikes through the other, all at once, by two users
    const racing = await Promise.all([
      ...Array.from({ length: 50 }, () => g1.like(tp.tokens.alice, postId, 30_000)),
      ...Array.from({ length: 50 }, () => g2.unlike(tp.tokens.alice, postId, 30_000)),
      ...Array.from({ length: 25 }, () => g2.like(tp.tokens.bob, postId, 30_000)),
    ]);
    expect(racing.filter((r) => r.status !== 200).map((r) => describeResult(r))).toEqual([]);
    const members = await membersOf(postId);
    const aliceLikes = members.includes('alice');
    for (const gw of [g1, g2]) {
      expect(await view(gw, tp.tokens.alice, postId)).toEqual({ likeCount: members.length, likedByViewer: aliceLikes });
      expect(await view(gw, tp.tokens.bob, postId)).toEqual({ likeCount: members.length, likedByViewer: true });
    }
    expect(members).toContain('bob');
    // a last like settles it: both views say 2
    expect((await g2.like(tp.tokens.alice, postId)).json).toEqual({ postId, likeCount: 2, liked: true });
    for (const gw of [g1, g2]) expect((await view(gw, tp.tokens.alice, postId)).likeCount).toBe(2);
    progress(`  raced 125 likes/unlikes: settled on ${JSON.stringify(members)}`);
    figure('raced-likes', { requests: racing.length, settledOn: members, thenLikeCount: 2 });
  });
});
