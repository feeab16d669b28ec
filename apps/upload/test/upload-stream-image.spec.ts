import { randomBytes } from 'node:crypto';
import { CONTRACT_LIMITS, type ImageChunkOutput } from '@failsoft/contracts';
import { Sidecar } from '@failsoft/sidecar';
import { startSentinelTopology, waitUntil, type SentinelTopology } from '@failsoft/testing';
import { newPostId } from '../src/app/posts/posts.keys';
import { PostsRepository } from '../src/app/posts/posts.repository';
import { refusal, startUpload, status, type UploadHarness } from './upload-harness';

jest.setTimeout(60_000);

let topology: SentinelTopology;
let harness: UploadHarness;
let repository: PostsRepository;

beforeAll(async () => {
  topology = await startSentinelTopology();
  harness = await startUpload(topology);
  repository = harness.app.get(PostsRepository);
}, 90_000);

afterAll(async () => {
  await harness?.close();
  await topology?.stop();
});

afterEach(() => jest.restoreAllMocks());

const CHUNK = CONTRACT_LIMITS.imageChunkMaxBytes;

/** Stores a post whose original is `original` (random bytes: the stream serves stored bytes as they are). */
async function storePost(original: Buffer): Promise<string> {
  const id = newPostId();
  const post = { id, author: 'streamer', caption: '', createdAtMs: Date.now(), width: 10, height: 20, contentType: 'image/png', thumbnailWidth: 5, thumbnailHeight: 10 };
  await repository.create({ post, original: { data: original, contentType: 'image/png', width: 10, height: 20 }, thumbnail: { data: Buffer.from('thumb'), contentType: 'image/webp', width: 5, height: 10 } });
  return id;
}

/** Opens StreamImage and reads every message. */
async function readAll(postId: string, variant: 'ORIGINAL' | 'THUMBNAIL' = 'ORIGINAL'): Promise<ImageChunkOutput[]> {
  const opened = await harness.client.stream<unknown, ImageChunkOutput>('StreamImage', { postId, variant });
  const messages = opened.first === undefined ? [] : [opened.first];
  for await (const message of opened.rest) messages.push(message);
  return messages;
}

function serverInFlight(): number {
  return harness.app.get(Sidecar).snapshot().server?.inFlight ?? -1;
}

describe('UploadService.StreamImage (real Redis behind Sentinel)', () => {
  it('sends the header, then chunks of at most 64 KiB that reassemble byte for byte, one GETRANGE each', async () => {
    const original = randomBytes(3 * 1024 * 1024 + 12_345); // not a multiple of the chunk size
    const postId = await storePost(original);
    const ranges = jest.spyOn(repository, 'imageRange');
    const [first, ...chunks] = await readAll(postId);
    expect(first.part).toBe('header');
    expect(first.header).toMatchObject({ contentType: 'image/png', size: String(original.length), width: 10, height: 20 });
    expect(first.header?.etag).toMatch(/^".+"$/);
    expect(chunks.every((c) => c.part === 'data' && c.data !== undefined && c.data.length > 0 && c.data.length <= CHUNK)).toBe(true);
    expect(chunks.length).toBe(Math.ceil(original.length / CHUNK));
    expect(Buffer.concat(chunks.map((c) => c.data as Buffer)).equals(original)).toBe(true);
    expect(ranges).toHaveBeenCalledTimes(chunks.length);
    // negative control: another post's bytes do not compare equal
    const other = await storePost(randomBytes(1000));
    const [, ...otherChunks] = await readAll(other);
    expect(Buffer.concat(otherChunks.map((c) => c.data as Buffer)).equals(original)).toBe(false);
  });

  it('streams the thumbnail too; an unknown post fails NOT_FOUND before any message', async () => {
    const postId = await storePost(randomBytes(100));
    const [header, data] = await readAll(postId, 'THUMBNAIL');
    expect(header.header).toMatchObject({ contentType: 'image/webp', size: '5' });
    expect(data.data?.toString()).toBe('thumb');
    expect(await refusal(harness.client.stream('StreamImage', { postId: 'p_aaaaaaaaaaaaaaaa' }))).toEqual({ code: status.NOT_FOUND, errorCode: 'NOT_FOUND', details: 'post p_aaaaaaaaaaaaaaaa not found' });
    expect((await refusal(harness.client.stream('StreamImage', { postId: '../x' }))).errorCode).toBe('BAD_POST_ID');
  });

  it('a reader that stops reads only a bounded prefix from Redis; cancelling stops the reads and ends the call', async () => {
    const original = randomBytes(8 * 1024 * 1024);
    const postId = await storePost(original);
    const total = original.length / CHUNK; // 128 chunks
    const ranges = jest.spyOn(repository, 'imageRange');
    const abort = new AbortController();
    const opened = await harness.client.stream<unknown, ImageChunkOutput>('StreamImage', { postId }, { signal: abort.signal });
    await opened.rest.next(); // one chunk, then nothing: the transport fills up and the handler waits for 'drain'
    await waitUntil(() => ranges.mock.calls.length > 1, { timeoutMs: 10_000, message: 'the handler to read ahead into the transport' });
    abort.abort();
    await waitUntil(() => serverInFlight() === 0, { timeoutMs: 10_000, message: 'the cancelled call to end on the server' });
    const readAfterCancel = ranges.mock.calls.length;
    expect(readAfterCancel).toBeLessThan(total / 2);
    await expect(opened.rest.next()).rejects.toMatchObject({ code: status.CANCELLED });
    // negative control: the same image read to the end takes every chunk
    ranges.mockClear();
    const all = await readAll(postId);
    expect(all.length - 1).toBe(total);
    expect(ranges).toHaveBeenCalledTimes(total);
  });
});
