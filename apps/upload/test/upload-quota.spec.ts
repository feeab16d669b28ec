import { pairsToMap, redisCommand, startSentinelTopology, type SentinelTopology } from '@failsoft/testing';
import { dataKeys, postOf, refusal, sampleImages, startUpload, status, streamLength, type UploadHarness } from './upload-harness';

/**
 * Per-author quotas on the real upload service (real Sentinel topology, through the sidecar gRPC
 * path): an author at USER_MAX_POSTS posts or USER_MAX_BYTES bytes is refused with
 * FAILED_PRECONDITION `QUOTA_EXCEEDED` and nothing is stored; other authors are not affected.
 */
jest.setTimeout(60_000);

let topology: SentinelTopology;
let harness: UploadHarness;
let images: Awaited<ReturnType<typeof sampleImages>>;

beforeAll(async () => {
  [topology, images] = await Promise.all([startSentinelTopology({ replicas: 1, sentinels: 1, quorum: 1 }), sampleImages()]);
  harness = await startUpload(topology, { USER_MAX_POSTS: '2', USER_MAX_BYTES: String(1024 * 1024) });
}, 90_000);

afterAll(async () => {
  await harness?.close();
  await topology?.stop();
});

describe('per-author quotas', () => {
  it('refuses the post beyond USER_MAX_POSTS with QUOTA_EXCEEDED, storing nothing; another author still posts', async () => {
    for (let i = 0; i < 2; i++) postOf(await harness.upload.CreatePost({ author: 'carol', caption: `post ${i}`, image: images.jpeg }));
    const keysBefore = await dataKeys(topology);
    const streamBefore = await streamLength(topology);
    const refused = await refusal(harness.upload.CreatePost({ author: 'carol', caption: 'one too many', image: images.jpeg }));
    expect(refused).toMatchObject({ code: status.FAILED_PRECONDITION, errorCode: 'QUOTA_EXCEEDED', details: expect.stringMatching(/carol has stored 2 posts, the most one user may/) });
    expect(await dataKeys(topology)).toEqual(keysBefore);
    expect(await streamLength(topology)).toBe(streamBefore);
    postOf(await harness.upload.CreatePost({ author: 'dave', caption: 'mine', image: images.jpeg }));
    const master = await topology.currentMaster();
    expect(pairsToMap((await redisCommand(master.port, ['HGETALL', 'failsoft:upload:quota:carol'])) as string[])).toMatchObject({ posts: '2' });
  });

  it('refuses a post that would take an author over USER_MAX_BYTES', async () => {
    // the sample PNG is a 640×480 noisy picture (lossless: several hundred KB): two of them exceed 1 MiB
    let refused: Awaited<ReturnType<typeof refusal>> | undefined;
    for (let i = 0; i < 2 && refused === undefined; i++) {
      const outcome = await harness.upload.CreatePost({ author: 'erin', caption: `big ${i}`, image: images.png }).then(
        () => undefined,
        (error: unknown) => error,
      );
      if (outcome !== undefined) refused = await refusal(Promise.reject(outcome));
    }
    const master = await topology.currentMaster();
    const used = Number(pairsToMap((await redisCommand(master.port, ['HGETALL', 'failsoft:upload:quota:erin'])) as string[])['bytes'] ?? 0);
    expect(used).toBeLessThanOrEqual(1024 * 1024);
    if (refused === undefined) throw new Error(`two sample PNGs (${used} bytes stored) stayed under 1 MiB: the test image is too small to reach the quota`);
    expect(refused).toMatchObject({ code: status.FAILED_PRECONDITION, errorCode: 'QUOTA_EXCEEDED', details: expect.stringMatching(/1 MiB of images/) });
  });

  it('refuses writes clearly when Redis is full (noeviction: STORAGE_FULL), keeping what was stored', async () => {
    const master = await topology.currentMaster();
    const before = postOf(await harness.upload.CreatePost({ author: 'frank', caption: 'before', image: images.jpeg }));
    await redisCommand(master.port, ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction']);
    await redisCommand(master.port, ['CONFIG', 'SET', 'maxmemory', '1']);
    try {
      const refused = await refusal(harness.upload.CreatePost({ author: 'frank', caption: 'when full', image: images.jpeg }));
      expect(refused).toMatchObject({ code: status.UNAVAILABLE, errorCode: 'STORAGE_FULL', details: expect.stringMatching(/storage is full .*maxmemory/) });
      expect(await harness.upload.GetPost({ postId: before.id })).toMatchObject({ id: before.id, caption: 'before' });
    } finally {
      await redisCommand(master.port, ['CONFIG', 'SET', 'maxmemory', '0']);
    }
  });
});
