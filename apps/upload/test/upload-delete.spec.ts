import { pairsToMap, redisCommand, startSentinelTopology, type SentinelTopology } from '@failsoft/testing';
import { dataKeys, postOf, refusal, sampleImages, startUpload, status, streamLength, type UploadHarness } from './upload-harness';

/**
 * DeletePost on the real upload service (real Sentinel topology, through the sidecar gRPC path):
 * only the author deletes; the post, both images and their meta go, the author's quota is given
 * back and a `deleted` event is appended for the feed; anyone else is refused with
 * PERMISSION_DENIED `NOT_AUTHOR` and nothing changes; a second delete is NOT_FOUND.
 */
jest.setTimeout(60_000);

let topology: SentinelTopology;
let harness: UploadHarness;
let images: Awaited<ReturnType<typeof sampleImages>>;

beforeAll(async () => {
  [topology, images] = await Promise.all([startSentinelTopology({ replicas: 1, sentinels: 1, quorum: 1 }), sampleImages()]);
  harness = await startUpload(topology, { USER_MAX_POSTS: '1' });
}, 90_000);

afterAll(async () => {
  await harness?.close();
  await topology?.stop();
});

/** The quota hash of `author` on the master. */
async function quotaOf(author: string): Promise<Record<string, string>> {
  const master = await topology.currentMaster();
  return pairsToMap((await redisCommand(master.port, ['HGETALL', `failsoft:upload:quota:${author}`])) as string[]);
}

/** The fields of the last entry of the post stream. */
async function lastEvent(): Promise<Record<string, string>> {
  const master = await topology.currentMaster();
  const [[, fields]] = (await redisCommand(master.port, ['XREVRANGE', 'failsoft:posts', '+', '-', 'COUNT', '1'])) as Array<[string, string[]]>;
  return pairsToMap(fields);
}

describe('DeletePost', () => {
  it('refuses anyone but the author with NOT_AUTHOR and changes nothing; the author deletes; a second delete is NOT_FOUND', async () => {
    const post = postOf(await harness.upload.CreatePost({ author: 'alice', caption: 'to delete', image: images.jpeg }));
    const keysBefore = await dataKeys(topology);
    const streamBefore = await streamLength(topology);
    expect(keysBefore).toEqual(expect.arrayContaining([`failsoft:post:${post.id}`, `failsoft:image:${post.id}:original`, `failsoft:image:${post.id}:thumbnail`, `failsoft:image:${post.id}:meta`]));

    const refused = await refusal(harness.upload.DeletePost({ postId: post.id, author: 'mallory' }));
    expect(refused).toMatchObject({ code: status.PERMISSION_DENIED, errorCode: 'NOT_AUTHOR', details: expect.stringMatching(/only its author may delete it/) });
    expect(await dataKeys(topology)).toEqual(keysBefore);
    expect(await streamLength(topology)).toBe(streamBefore);
    expect(await harness.upload.GetPost({ postId: post.id })).toMatchObject({ id: post.id, author: 'alice' });

    expect(await harness.upload.DeletePost({ postId: post.id, author: 'alice' })).toEqual({ postId: post.id });
    const keysAfter = await dataKeys(topology);
    expect(keysAfter.filter((key) => key.includes(post.id))).toEqual([]);
    expect(await streamLength(topology)).toBe(streamBefore + 1);
    expect(await lastEvent()).toEqual({ type: 'deleted', postId: post.id });
    expect(await refusal(harness.upload.GetPost({ postId: post.id }))).toMatchObject({ code: status.NOT_FOUND, errorCode: 'NOT_FOUND' });
    expect(await refusal(harness.upload.GetImage({ postId: post.id }))).toMatchObject({ code: status.NOT_FOUND });

    const again = await refusal(harness.upload.DeletePost({ postId: post.id, author: 'alice' }));
    expect(again).toMatchObject({ code: status.NOT_FOUND, errorCode: 'NOT_FOUND' });
    expect(await streamLength(topology)).toBe(streamBefore + 1);
  });

  it('gives the quota back: an author at USER_MAX_POSTS (1) posts again after deleting', async () => {
    const first = postOf(await harness.upload.CreatePost({ author: 'bob', caption: 'one', image: images.jpeg }));
    expect(await quotaOf('bob')).toMatchObject({ posts: '1' });
    expect(Number((await quotaOf('bob'))['bytes'])).toBeGreaterThan(0);
    // negative control: at the quota, a second post is refused
    expect(await refusal(harness.upload.CreatePost({ author: 'bob', caption: 'two', image: images.jpeg }))).toMatchObject({ errorCode: 'QUOTA_EXCEEDED' });

    await harness.upload.DeletePost({ postId: first.id, author: 'bob' });
    expect(await quotaOf('bob')).toEqual({ posts: '0', bytes: '0' });
    const second = postOf(await harness.upload.CreatePost({ author: 'bob', caption: 'two', image: images.jpeg }));
    expect(second.id).not.toBe(first.id);
  });

  it('refuses a malformed post id or caller before touching storage', async () => {
    expect(await refusal(harness.upload.DeletePost({ postId: '../etc', author: 'alice' }))).toMatchObject({ code: status.INVALID_ARGUMENT, errorCode: 'BAD_POST_ID' });
    expect(await refusal(harness.upload.DeletePost({ postId: 'p_aaaaaaaaaaaaaaaa', author: '' }))).toMatchObject({ code: status.INVALID_ARGUMENT, errorCode: 'BAD_AUTHOR' });
    expect(await refusal(harness.upload.DeletePost({ postId: 'p_aaaaaaaaaaaaaaaa', author: 'alice' }))).toMatchObject({ code: status.NOT_FOUND, errorCode: 'NOT_FOUND' });
  });
});
