import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import type { ImageChunkOutput } from '@failsoft/contracts';
import { startSentinelTopology, type SentinelTopology } from '@failsoft/testing';
import { crc32 } from '../src/app/image/crc32';
import { postOf, startUpload, type UploadHarness } from './upload-harness';

/**
 * Originals are stored and served without their ancillary data, end to end on the real upload
 * service (real Sentinel topology, the sidecar gRPC path): a 16×16 PNG padded with a 1.5 MiB
 * private chunk and a tEXt comment, and a JPEG carrying EXIF with GPS coordinates, go in through
 * CreatePost; what GetImage and StreamImage give back for the ORIGINAL has neither, has the same
 * pixel size, and is small. Negative control: the same checks applied to the bytes sent fail.
 */
jest.setTimeout(60_000);

/** Size of the padding chunk put in the PNG (the attack used 9.5 MiB; 1.5 MiB is as telling and quicker). */
const PADDING_BYTES = 1.5 * 1024 * 1024;
/** A text that must not survive in a stored original (in the PNG comment and the JPEG's EXIF). */
const SECRET = 'secret-marker-do-not-keep';
/** The PNG chunks a stored original may keep: the critical ones, and what display needs. */
const DISPLAY_PNG_CHUNKS = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND', 'tRNS', 'gAMA', 'sRGB', 'pHYs']);

let topology: SentinelTopology;
let harness: UploadHarness;

beforeAll(async () => {
  topology = await startSentinelTopology({ replicas: 1, sentinels: 1, quorum: 1 });
  harness = await startUpload(topology);
}, 90_000);

afterAll(async () => {
  await harness?.close();
  await topology?.stop();
});

/** One PNG chunk: 4-byte length, type, data, CRC of type + data. */
function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** The types and lengths of a PNG's chunks, in order. */
function pngChunks(png: Buffer): Array<{ type: string; length: number }> {
  const chunks: Array<{ type: string; length: number }> = [];
  for (let at = 8; at + 8 <= png.length; ) {
    const length = png.readUInt32BE(at);
    chunks.push({ type: png.toString('latin1', at + 4, at + 8), length });
    at += 12 + length;
  }
  return chunks;
}

/** A 16×16 PNG with a tEXt comment and a private ancillary chunk of PADDING_BYTES before IEND. */
async function paddedPng(): Promise<Buffer> {
  const plain = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#c0392b' } }).png().toBuffer();
  const iend = plain.length - 12;
  const extra = [pngChunk('tEXt', Buffer.from(`Comment\0${SECRET}`, 'latin1')), pngChunk('prVt', randomBytes(PADDING_BYTES))];
  return Buffer.concat([plain.subarray(0, iend), ...extra, plain.subarray(iend)]);
}

/** A 64×48 JPEG whose EXIF has a description, a camera make and GPS coordinates. */
function gpsJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 48, channels: 3, background: '#336699' } })
    .jpeg()
    .withExif({
      IFD0: { ImageDescription: SECRET, Make: 'SpyCam' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2964/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 4000/100' },
    })
    .toBuffer();
}

/** Tags of a JPEG's EXIF IFD0 (hex), or [] without EXIF. */
async function exifTags(jpeg: Buffer): Promise<string[]> {
  const exif = (await sharp(jpeg).metadata()).exif;
  if (exif === undefined) return [];
  const tiff = exif.subarray(6); // after "Exif\0\0"
  const le = tiff.toString('latin1', 0, 2) === 'II';
  const u16 = (at: number): number => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const ifd = le ? tiff.readUInt32LE(4) : tiff.readUInt32BE(4);
  return Array.from({ length: u16(ifd) }, (_, i) => u16(ifd + 2 + 12 * i).toString(16));
}

/** Throws unless `png` is 16×16 with display chunks only, no SECRET, and small. */
async function expectCleanPng(png: Buffer): Promise<void> {
  const kept = pngChunks(png).filter(({ type }) => !DISPLAY_PNG_CHUNKS.has(type));
  if (kept.length > 0) throw new Error(`the PNG kept ancillary chunks: ${JSON.stringify(kept)}`);
  if (png.includes(Buffer.from(SECRET))) throw new Error('the PNG still carries the tEXt comment');
  if (png.length >= 16 * 1024) throw new Error(`the 16×16 PNG is ${png.length} bytes: its padding was kept`);
  expect(await sharp(png).metadata()).toMatchObject({ format: 'png', width: 16, height: 16 });
}

/** Throws unless `jpeg` is 64×48 with no EXIF (no GPS), no SECRET, and small. */
async function expectCleanJpeg(jpeg: Buffer): Promise<void> {
  const tags = await exifTags(jpeg);
  if (tags.includes('8825')) throw new Error(`the JPEG kept its GPS data (EXIF IFD0 tags ${tags.join(', ')})`);
  if (tags.length > 0) throw new Error(`the JPEG kept EXIF (IFD0 tags ${tags.join(', ')})`);
  if (jpeg.includes(Buffer.from(SECRET))) throw new Error('the JPEG still carries the EXIF description');
  if (jpeg.includes(Buffer.from('SpyCam'))) throw new Error('the JPEG still carries the camera make');
  expect(await sharp(jpeg).metadata()).toMatchObject({ format: 'jpeg', width: 64, height: 48 });
}

/** The ORIGINAL of a post through GetImage, and through StreamImage (both must serve the same bytes). */
async function readOriginal(postId: string): Promise<Buffer> {
  const image = await harness.upload.GetImage({ postId, variant: 'ORIGINAL' });
  const opened = await harness.client.stream<unknown, ImageChunkOutput>('StreamImage', { postId, variant: 'ORIGINAL' });
  const chunks: Buffer[] = [];
  for await (const message of opened.rest) if (message.data) chunks.push(message.data);
  expect(Buffer.concat(chunks).equals(image.data)).toBe(true);
  return image.data;
}

describe('originals are stored without metadata (real upload service)', () => {
  it('drops a 1.5 MiB private chunk and a tEXt comment from a 16×16 PNG; pixels unchanged', async () => {
    const input = await paddedPng();
    expect(input.length).toBeGreaterThan(PADDING_BYTES);
    // negative control: the check fails on what was sent
    await expect(expectCleanPng(input)).rejects.toThrow(/kept ancillary chunks.*prVt/);
    const post = postOf(await harness.upload.CreatePost({ author: 'padder', caption: 'padded', image: input }));
    expect(post).toMatchObject({ width: 16, height: 16 });
    const original = await readOriginal(post.id);
    await expectCleanPng(original);
    const [inPixels, outPixels] = await Promise.all([sharp(input).raw().toBuffer(), sharp(original).raw().toBuffer()]);
    expect(outPixels.equals(inPixels)).toBe(true); // PNG is re-encoded losslessly
  });

  it('drops EXIF with GPS coordinates from a JPEG; pixel size unchanged', async () => {
    const input = await gpsJpeg();
    expect(await exifTags(input)).toContain('8825');
    // negative control: the check fails on what was sent
    await expect(expectCleanJpeg(input)).rejects.toThrow(/kept its GPS data/);
    const post = postOf(await harness.upload.CreatePost({ author: 'traveller', caption: 'where am I', image: input }));
    expect(post).toMatchObject({ width: 64, height: 48 });
    const original = await readOriginal(post.id);
    await expectCleanJpeg(original);
    expect(original.length).toBeLessThan(16 * 1024);
  });
});
