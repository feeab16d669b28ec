import { pairsToMap, redisCommand, startSentinelTopology, waitUntil, type SentinelTopology } from '@failsoft/testing';
import type { PostOutput } from '@failsoft/contracts';
import { photo, postOf, refusal, sampleImages, startUpload, status, streamLength, type UploadHarness } from './upload-harness';

jest.setTimeout(120_000);

let topology: SentinelTopology;
let harness: UploadHarness;

beforeAll(async () => {
  topology = await startSentinelTopology();
  harness = await startUpload(topology);
}, 90_000);

afterAll(async () => {
  await harness?.close();
  await topology?.stop();
});

describe('upload service across a Redis master failover (SIGKILL)', () => {
  it('acknowledges a post only once the replicas confirm it, and the retry of an unconfirmed write stores no second post', async () => {
    const master = await topology.currentMaster();
    const replica = topology.servers.find((server) => server.running && server.port !== master.port);
    if (replica === undefined) throw new Error('no running replica');
    const request = { author: 'frank', caption: 'unconfirmed', image: await photo(500, 300).png().toBuffer(), idempotencyKey: 'unconfirmed-1' };
    const streamBefore = await streamLength(topology);

    replica.kill('SIGSTOP'); // connected but silent: WAIT cannot be confirmed by every replica
    let refused;
    try {
      refused = await refusal(harness.upload.CreatePost(request));
    } finally {
      topology.resume(replica);
    }
    expect(refused).toMatchObject({ code: status.UNAVAILABLE, errorCode: 'NOT_DURABLE' });
    expect(refused.details).toMatch(/retry with the same idempotency key/);
    expect(await streamLength(topology)).toBe(streamBefore + 1); // it reached the master, unconfirmed

    await topology.waitForReplica(replica, 30_000);
    // the key is bound to that request even though its idempotency record says the run failed
    const other = await refusal(harness.upload.CreatePost({ ...request, image: await photo(200, 100).png().toBuffer() }));
    expect(other).toMatchObject({ code: status.INVALID_ARGUMENT, errorCode: 'IDEMPOTENCY_KEY_REUSED' });
    const retried = await harness.upload.CreatePost(request);
    expect(retried.replayed).toBe(true);
    expect(await streamLength(topology)).toBe(streamBefore + 1); // the retry found the post: still one
    const events = (await redisCommand(master.port, ['XRANGE', 'failsoft:posts', '-', '+'])) as Array<[string, string[]]>;
    expect(pairsToMap(events[events.length - 1][1])['postId']).toBe(postOf(retried).id);
    expect(await harness.upload.GetPost({ postId: postOf(retried).id })).toEqual(retried.post);
  });

  it('every acknowledged post survives the SIGKILL of the master, and creating posts resumes after failover', async () => {
    // distinct images (so distinct bytes) created concurrently, then the master is killed at once
    const uploads = await Promise.all(Array.from({ length: 8 }, (_, i) => photo(400 + i * 8, 300).png().toBuffer()));
    const created: PostOutput[] = (
      await Promise.all(uploads.map((image, i) => harness.upload.CreatePost({ author: 'erin', caption: `before the crash #${i}`, image, idempotencyKey: `failover-${i}` })))
    ).map((reply) => postOf(reply));
    const before = await topology.currentMaster();
    await topology.killMaster('SIGKILL');
    const after = await topology.waitForFailover(before, 30_000);
    expect(after.port).not.toBe(before.port);

    // straight from the promoted replica: posts, images and events are all there
    const hashes = await Promise.all(created.map(async (post) => pairsToMap((await redisCommand(after.port, ['HGETALL', `failsoft:post:${post.id}`])) as string[])));
    expect(hashes.map((h) => h['id'])).toEqual(created.map((p) => p.id));
    const events = (await redisCommand(after.port, ['XRANGE', 'failsoft:posts', '-', '+'])) as Array<[string, string[]]>;
    const announced = events.map(([, fields]) => pairsToMap(fields)['postId']);
    for (const post of created) expect(announced.filter((id) => id === post.id)).toHaveLength(1);

    // through the service, once its client has followed the failover
    const first = await waitUntil(
      () => harness.upload.GetPost({ postId: created[0].id }).catch(() => undefined),
      { timeoutMs: 30_000, intervalMs: 200, message: 'GetPost to answer after the failover' },
    );
    expect(first).toEqual(created[0]);
    for (const [i, post] of created.entries()) {
      expect(await harness.upload.GetPost({ postId: post.id })).toEqual(post);
      const original = await harness.upload.GetImage({ postId: post.id });
      expect(original.data.equals(uploads[i])).toBe(true);
      const thumbnail = await harness.upload.GetImage({ postId: post.id, variant: 'THUMBNAIL' });
      expect(thumbnail).toMatchObject({ contentType: 'image/webp', width: 320 });
    }

    // a retry of an acknowledged call is still a replay after the failover (the idempotency record survived too)
    const replay = await harness.upload.CreatePost({ author: 'erin', caption: 'before the crash #3', image: uploads[3], idempotencyKey: 'failover-3' });
    expect(replay).toEqual({ post: created[3], replayed: true });

    // and new posts are accepted again
    const { png } = await sampleImages();
    const fresh = await waitUntil(
      () => harness.upload.CreatePost({ author: 'erin', caption: 'after the failover', image: png, idempotencyKey: 'after-failover' }).catch(() => undefined),
      { timeoutMs: 30_000, intervalMs: 200, message: 'CreatePost to succeed after the failover' },
    );
    expect(postOf(fresh).caption).toBe('after the failover');
    expect(await harness.upload.GetPost({ postId: postOf(fresh).id })).toEqual(fresh.post);
    expect((await refusal(harness.upload.GetPost({ postId: '../etc/passwd' }))).errorCode).toBe('BAD_POST_ID');
  });
});
