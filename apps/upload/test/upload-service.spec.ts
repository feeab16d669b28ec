import { get } from 'node:http';
import { monitorRedis, pairsToMap, redisCommand, startSentinelTopology, waitUntil, type SentinelTopology } from '@failsoft/testing';
import { crc32 } from '../src/app/image/crc32';
import { inspectImage } from '../src/app/image';
import { dataKeys, postOf, refusal, sampleImages, startUpload, status, streamLength, type UploadHarness } from './upload-harness';

jest.setTimeout(60_000);

let topology: SentinelTopology;
let harness: UploadHarness;
let images: Awaited<ReturnType<typeof sampleImages>>;

beforeAll(async () => {
  [topology, images] = await Promise.all([startSentinelTopology(), sampleImages()]);
  harness = await startUpload(topology);
}, 90_000);

afterAll(async () => {
  await harness?.close();
  await topology?.stop();
});

/** A PNG chunk (length, type, data, CRC). */
function pngChunk(type: string, data: Uint8Array = new Uint8Array(0)): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A structurally valid PNG declaring width×height (8-bit RGB) around the given IDAT payload. */
function pngDeclaring(width: number, height: number, idat: Uint8Array = Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND')]);
}

/** GET a JSON endpoint of the app. */
function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let data = '';
      res.on('data', (chunk) => (data += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) }));
    }).on('error', reject);
  });
}

/** Entries of the post stream on the master, as field maps. */
async function streamEntries(): Promise<Array<Record<string, string>>> {
  const master = await topology.currentMaster();
  const entries = (await redisCommand(master.port, ['XRANGE', 'failsoft:posts', '-', '+'])) as Array<[string, string[]]>;
  return entries.map(([, fields]) => pairsToMap(fields));
}

let sequence = 0;
/** A fresh idempotency key. */
const newKey = () => `spec-${process.pid}-${++sequence}-${Date.now()}`;

describe('upload service (real Sentinel topology, through the sidecar gRPC path)', () => {
  it('is ready, with the redis check passing', async () => {
    const ready = await getJson(`${harness.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ready: true, failing: [], checks: { redis: { ok: true } } });
    expect((await getJson(`${harness.url}/livez`)).status).toBe(200);
  });

  it('serves as many calls at once as its memory limit holds (MEMORY_LIMIT_BYTES), 64 without one', async () => {
    const unlimited = await getJson(`${harness.url}/snapshot`);
    expect((unlimited.body as { server: { maxConcurrent: number } }).server.maxConcurrent).toBe(64);
    // deploy/k8s's 768 Mi: floor((768 x 0.75 - 192) / (3 x 10)) = 12
    const limited = await startUpload(topology, { MEMORY_LIMIT_BYTES: String(768 * 1024 * 1024), INSTANCE_ID: `upload-spec-limited-${process.pid}` });
    try {
      const snapshot = await getJson(`${limited.url}/snapshot`);
      expect((snapshot.body as { server: { maxConcurrent: number } }).server.maxConcurrent).toBe(12);
    } finally {
      await limited.close();
    }
  });

  describe.each([
    ['png', 'image/png'],
    ['jpeg', 'image/jpeg'],
    ['webp', 'image/webp'],
    ['gif', 'image/gif'],
  ] as const)('a valid %s upload', (format, contentType) => {
    it('is stored with its thumbnail, announced on the stream, and served back', async () => {
      const image = images[format];
      const streamBefore = await streamLength(topology);
      const created = await harness.upload.CreatePost({ author: 'alice', caption: `  my ${format}\r\nphoto  `, image, contentTypeHint: 'application/octet-stream' });
      const post = postOf(created);
      expect(created.replayed).toBe(false);
      expect(post).toMatchObject({
        author: 'alice',
        caption: `my ${format}\nphoto`,
        contentType,
        width: 640,
        height: 480,
        thumbnailWidth: 320,
        thumbnailHeight: 240,
      });
      expect(post.id).toMatch(/^p_[a-z2-7]{16}$/);
      expect(Math.abs(Number(post.createdAtMs) - Date.now())).toBeLessThan(60_000);

      // the event points to the post, and only once
      expect(await streamLength(topology)).toBe(streamBefore + 1);
      const events = (await streamEntries()).filter((e) => e['postId'] === post.id);
      expect(events).toHaveLength(1);
      expect(events[0]).toEqual({ type: 'created', postId: post.id, createdAtMs: post.createdAtMs });

      // the documented key layout
      const master = await topology.currentMaster();
      const hash = pairsToMap((await redisCommand(master.port, ['HGETALL', `failsoft:post:${post.id}`])) as string[]);
      expect(hash).toMatchObject({ id: post.id, author: 'alice', contentType, createdAtMs: post.createdAtMs });
      const meta = pairsToMap((await redisCommand(master.port, ['HGETALL', `failsoft:image:${post.id}:meta`])) as string[]);
      expect(meta).toMatchObject({ contentType, width: '640', height: '480', thumbnailContentType: 'image/webp' });

      expect(await harness.upload.GetPost({ postId: post.id })).toEqual(post);

      const original = await harness.upload.GetImage({ postId: post.id, variant: 'ORIGINAL' });
      expect(original).toMatchObject({ contentType, width: 640, height: 480 });
      // re-encoded in its own format (metadata and ancillary data gone: image/sanitize-original.ts), same picture size
      expect(inspectImage(original.data)).toMatchObject({ contentType, width: 640, height: 480 });
      const byDefault = await harness.upload.GetImage({ postId: post.id });
      expect(byDefault.data.equals(original.data)).toBe(true);

      const thumbnail = await harness.upload.GetImage({ postId: post.id, variant: 'THUMBNAIL' });
      expect(thumbnail).toMatchObject({ contentType: 'image/webp', width: 320, height: 240 });
      expect(thumbnail.data.length).toBeLessThan(image.length);
      expect(inspectImage(thumbnail.data)).toMatchObject({ format: 'webp', width: 320, height: 240 });
    });
  });

  describe('refuses bad input with a clear code and stores NOTHING', () => {
    const oversized = () => {
      const big = Buffer.alloc(10 * 1024 * 1024 + 1, 0);
      images.png.copy(big);
      return big;
    };
    it.each([
      ['a text file named .png', 'UNSUPPORTED_TYPE', () => ({ image: Buffer.from('hello, I am a text file called cat.png\n'), contentTypeHint: 'image/png' }), /not .*JPEG, PNG, WebP or GIF|Accepted/],
      ['a truncated PNG', 'TRUNCATED', () => ({ image: images.png.subarray(0, Math.floor(images.png.length / 2)) }), /cut short/],
      ['an upload over 10 MiB', 'TOO_LARGE', () => ({ image: oversized() }), /over the 10 MiB limit/],
      ['a decompression bomb (100000×100000 declared)', 'TOO_MANY_PIXELS', () => ({ image: pngDeclaring(100_000, 100_000) }), /10000 megapixels/],
      ['an empty upload', 'EMPTY', () => ({ image: Buffer.alloc(0) }), /empty/],
      ['a PNG whose pixels cannot be decoded', 'CORRUPT', () => ({ image: pngDeclaring(64, 64, Buffer.from('definitely not zlib data')) }), /could not be decoded|damaged/],
      ['a caption with control characters', 'BAD_CAPTION', () => ({ image: images.png, caption: 'hi\u0000there' }), /control character/],
      ['an overlong caption', 'BAD_CAPTION', () => ({ image: images.png, caption: 'x'.repeat(1001) }), /1000-character limit/],
      ['an unsafe author id', 'BAD_AUTHOR', () => ({ image: images.png, author: '../admin' }), /author must be a user id/],
      ['a missing author', 'BAD_AUTHOR', () => ({ image: images.png, author: '' }), /author is required/],
      ['an overlong idempotency key', 'BAD_IDEMPOTENCY_KEY', () => ({ image: images.png, idempotencyKey: 'k'.repeat(201) }), /1-200 printable ASCII/],
    ])('%s → INVALID_ARGUMENT %s', async (_name, errorCode, make, message) => {
      const keysBefore = await dataKeys(topology);
      const streamBefore = await streamLength(topology);
      const request = { author: 'mallory', caption: 'attempt', idempotencyKey: newKey(), ...make() };
      const refused = await refusal(harness.upload.CreatePost(request));
      expect(refused).toMatchObject({ code: status.INVALID_ARGUMENT, errorCode });
      expect(refused.details).toMatch(message);
      expect(await dataKeys(topology)).toEqual(keysBefore); // no post, no image, no idempotency record
      expect(await streamLength(topology)).toBe(streamBefore);
    });
  });

  describe('idempotency', () => {
    it('20 concurrent calls with one key create ONE post and one event; all get the same post', async () => {
      const key = newKey();
      const keysBefore = await dataKeys(topology);
      const streamBefore = await streamLength(topology);
      const replies = await Promise.all(
        Array.from({ length: 20 }, () => harness.upload.CreatePost({ author: 'bob', caption: 'once', image: images.jpeg, idempotencyKey: key })),
      );
      const ids = new Set(replies.map((r) => postOf(r).id));
      expect(ids.size).toBe(1);
      expect(replies.filter((r) => !r.replayed)).toHaveLength(1);
      for (const reply of replies) expect(reply.post).toEqual(replies[0].post);
      expect(await streamLength(topology)).toBe(streamBefore + 1);
      const [id] = ids;
      expect((await streamEntries()).filter((e) => e['postId'] === id)).toHaveLength(1);
      const added = (await dataKeys(topology)).filter((k) => !keysBefore.includes(k));
      expect(added.filter((k) => k.startsWith('failsoft:post:'))).toEqual([`failsoft:post:${id}`]);
      expect(added.filter((k) => k.startsWith('failsoft:image:')).sort()).toEqual(
        [`failsoft:image:${id}:meta`, `failsoft:image:${id}:original`, `failsoft:image:${id}:thumbnail`].sort(),
      );

      // a later retry is a replay of the same post
      const retry = await harness.upload.CreatePost({ author: 'bob', caption: 'once', image: images.jpeg, idempotencyKey: key });
      expect(retry).toEqual({ post: replies[0].post, replayed: true });
      expect(await streamLength(topology)).toBe(streamBefore + 1);
    });

    it('the key is honoured from the sidecar idempotency metadata too', async () => {
      const key = newKey();
      const first = await harness.upload.CreatePost({ author: 'bob', caption: 'via metadata', image: images.png }, { idempotencyKey: key });
      const second = await harness.upload.CreatePost({ author: 'bob', caption: 'via metadata', image: images.png }, { idempotencyKey: key });
      expect(second).toEqual({ post: first.post, replayed: true });
    });

    it('scopes keys by author, refuses a key reused for another image, and creates a post per call without a key', async () => {
      const key = newKey();
      const byBob = await harness.upload.CreatePost({ author: 'bob', caption: 'same key', image: images.png, idempotencyKey: key });
      const byCarol = await harness.upload.CreatePost({ author: 'carol', caption: 'same key', image: images.png, idempotencyKey: key });
      expect(byCarol.replayed).toBe(false);
      expect(postOf(byCarol).id).not.toBe(postOf(byBob).id);

      const streamBefore = await streamLength(topology);
      const reused = await refusal(harness.upload.CreatePost({ author: 'bob', caption: 'same key', image: images.webp, idempotencyKey: key }));
      expect(reused).toMatchObject({ code: status.INVALID_ARGUMENT, errorCode: 'IDEMPOTENCY_KEY_REUSED' });
      expect(reused.details).toMatch(/different caption or image/);
      expect(await streamLength(topology)).toBe(streamBefore);

      const a = await harness.upload.CreatePost({ author: 'bob', caption: 'no key', image: images.gif });
      const b = await harness.upload.CreatePost({ author: 'bob', caption: 'no key', image: images.gif });
      expect(postOf(a).id).not.toBe(postOf(b).id);
      expect([a.replayed, b.replayed]).toEqual([false, false]);
      expect(await streamLength(topology)).toBe(streamBefore + 2);
    });
  });

  describe('ids', () => {
    it('unknown well-formed ids → NOT_FOUND', async () => {
      const unknown = 'p_aaaaaaaaaaaaaaaa';
      for (const call of [
        harness.upload.GetPost({ postId: unknown }),
        harness.upload.GetImage({ postId: unknown }),
        harness.upload.GetImage({ postId: unknown, variant: 'THUMBNAIL' }),
      ]) {
        expect(await refusal(call)).toEqual({ code: status.NOT_FOUND, errorCode: 'NOT_FOUND', details: `post ${unknown} not found` });
      }
    });

    it('path-trick and malformed ids → INVALID_ARGUMENT, and no Redis command ever mentions them', async () => {
      const master = await topology.currentMaster();
      const monitor = await monitorRedis(master.port);
      const tricks = [
        '../p_aaaaaaaaaaaaaaaa',
        '..%2f..%2fetc',
        '%2e%2e%2fp_aaaaaaaaaaaaaaaa',
        'p_aaaaaaaaaaaaaaaa/../../x',
        'p_aaaaaaaa\\aaaaaaaa',
        'p_*',
        '*',
        'p_aaaaaaaaaaaaaaaa\u0000',
        `p_${'a'.repeat(10_000)}`,
        '',
      ];
      try {
        for (const postId of tricks) {
          for (const call of [harness.upload.GetPost({ postId }), harness.upload.GetImage({ postId }), harness.upload.GetImage({ postId, variant: 'THUMBNAIL' })]) {
            const refused = await refusal(call);
            expect(refused).toMatchObject({ code: status.INVALID_ARGUMENT, errorCode: 'BAD_POST_ID' });
            expect(refused.details).toMatch(/^post_id (is required|must be "p_" followed by 16 characters)/);
          }
        }
        // a valid id read afterwards shows up: the monitor does see the service's commands
        await refusal(harness.upload.GetPost({ postId: 'p_monitormonitor22' }));
        await waitUntil(() => monitor.lines.some((line) => line.includes('"failsoft:post:p_monitormonitor22"')), { timeoutMs: 5000, message: 'the monitor to see the valid read' });
      } finally {
        monitor.stop();
      }
      // an argument starting with a post or image key, other than the valid read's
      const touched = monitor.lines.filter((line) => /"failsoft:(post|image):/.test(line) && !line.includes('p_monitormonitor22'));
      expect(touched).toEqual([]);
    });

    it('an unknown variant → INVALID_ARGUMENT BAD_VARIANT', async () => {
      const post = postOf(await harness.upload.CreatePost({ author: 'dave', image: images.png }));
      const refused = await refusal(harness.upload.GetImage({ postId: post.id, variant: 7 as never }));
      expect(refused).toMatchObject({ code: status.INVALID_ARGUMENT, errorCode: 'BAD_VARIANT' });
    });
  });
});
