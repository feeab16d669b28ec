import sharp from 'sharp';
import { crc32 } from './crc32';
import { inspectImage, isImageRejectedError, makeThumbnail, type ImageInfo, type ImageRejectedError } from './index';

/** A solid width×height RGB image to encode. */
function solid(width: number, height: number): sharp.Sharp {
  return sharp({ create: { width, height, channels: 3, background: '#c05020' } });
}

/** A PNG chunk (length, type, data, CRC). */
function pngChunk(type: string, data: Uint8Array = new Uint8Array(0)): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([head, body, crc]);
}

/** Inspects then thumbnails, as the upload service does. */
async function thumbnailOf(image: Buffer, options?: Parameters<typeof makeThumbnail>[2]) {
  return makeThumbnail(image, inspectImage(image), options);
}

/** Awaits `promise` expecting an ImageRejectedError, and returns it. */
async function rejection(promise: Promise<unknown>): Promise<ImageRejectedError> {
  const error = await promise.then(
    () => new Error('expected a rejection, but the thumbnail was made'),
    (reason: unknown) => reason,
  );
  if (isImageRejectedError(error)) return error;
  throw error;
}

describe('makeThumbnail', () => {
  it('fits a landscape PNG inside 320 px as WebP, keeping the aspect ratio', async () => {
    const thumb = await thumbnailOf(await solid(640, 480).png().toBuffer());
    expect(thumb).toMatchObject({ contentType: 'image/webp', width: 320, height: 240 });
    expect(inspectImage(thumb.data)).toEqual({ format: 'webp', contentType: 'image/webp', width: 320, height: 240 });
  });

  it('fits a portrait image inside a custom edge and writes JPEG when asked', async () => {
    const thumb = await thumbnailOf(await solid(200, 400).webp().toBuffer(), { maxEdge: 100, format: 'jpeg' });
    expect(thumb).toMatchObject({ contentType: 'image/jpeg', width: 50, height: 100 });
    expect(inspectImage(thumb.data)).toMatchObject({ format: 'jpeg', width: 50, height: 100 });
  });

  it('never enlarges a small image', async () => {
    const thumb = await thumbnailOf(await solid(100, 50).gif().toBuffer());
    expect(thumb).toMatchObject({ width: 100, height: 50 });
  });

  it('applies EXIF orientation (a 90° JPEG becomes portrait) and strips metadata', async () => {
    const thumb = await thumbnailOf(await solid(200, 100).jpeg().withMetadata({ orientation: 6 }).toBuffer());
    expect(thumb).toMatchObject({ width: 100, height: 200 });
    expect((await sharp(thumb.data).metadata()).orientation).toBeUndefined();
  });

  it('rejects an image that passes the structure check but cannot be decoded with CORRUPT', async () => {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(16, 0);
    ihdr.writeUInt32BE(16, 4);
    ihdr.set([8, 2, 0, 0, 0], 8);
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      pngChunk('IHDR', ihdr),
      pngChunk('IDAT', Buffer.from('this is not zlib-compressed pixel data at all')),
      pngChunk('IEND'),
    ]);
    const info = inspectImage(png);
    expect(info).toMatchObject({ format: 'png', width: 16, height: 16 });
    const error = await rejection(makeThumbnail(png, info));
    expect(error.code).toBe('CORRUPT');
    expect(error.message).toMatch(/^The PNG image could not be decoded \(.+\); it may be damaged/);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('refuses info over the pixel cap before decoding with TOO_MANY_PIXELS', async () => {
    const png = await solid(10, 10).png().toBuffer();
    const lying: ImageInfo = { format: 'png', contentType: 'image/png', width: 100_000, height: 100_000 };
    expect((await rejection(makeThumbnail(png, lying))).code).toBe('TOO_MANY_PIXELS');
  });

  it('passes the pixel cap to the decoder (limitInputPixels)', async () => {
    const png = await solid(10, 10).png().toBuffer();
    const understated: ImageInfo = { format: 'png', contentType: 'image/png', width: 5, height: 5 };
    expect((await rejection(makeThumbnail(png, understated, { limits: { maxPixels: 50 } }))).code).toBe('TOO_MANY_PIXELS');
  });

  it('throws a RangeError for a bad maxEdge or quality', async () => {
    const png = await solid(10, 10).png().toBuffer();
    await expect(thumbnailOf(png, { maxEdge: 0 })).rejects.toThrow(/maxEdge must be an integer from 1 to 4096/);
    await expect(thumbnailOf(png, { quality: 101 })).rejects.toThrow(RangeError);
  });
});
