import sharp from 'sharp';
import { inspectImage } from './inspect-image.validator';
import { makeThumbnail } from './make-thumbnail';
import { sanitizeOriginal } from './sanitize-original';
import { crc32 } from './crc32';

/** A PNG chunk (length, type, data, CRC). */
function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** The chunk types of a PNG, in order. */
function chunkTypes(png: Buffer): string[] {
  const types: string[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    types.push(png.toString('latin1', at + 4, at + 8));
    at += 12 + length;
  }
  return types;
}

describe('sanitizeOriginal', () => {
  it('drops ancillary chunks and text from a PNG (a 16×16 image padded with 2 MiB), keeping the pixels', async () => {
    const plain = await sharp({ create: { width: 16, height: 16, channels: 4, background: { r: 200, g: 10, b: 10, alpha: 0.5 } } }).png().toBuffer();
    const iend = plain.length - 12;
    const padded = Buffer.concat([plain.subarray(0, iend), chunk('tEXt', Buffer.from('Author\0mallory')), chunk('zzPd', Buffer.alloc(2 * 1024 * 1024, 1)), plain.subarray(iend)]);
    expect(chunkTypes(padded)).toEqual(expect.arrayContaining(['tEXt', 'zzPd']));
    const clean = await sanitizeOriginal(padded, inspectImage(padded));
    expect(clean.data.length).toBeLessThan(4096);
    expect(chunkTypes(clean.data).filter((t) => !['IHDR', 'PLTE', 'IDAT', 'IEND', 'tRNS', 'pHYs'].includes(t))).toEqual([]);
    expect({ contentType: clean.contentType, width: clean.width, height: clean.height }).toEqual({ contentType: 'image/png', width: 16, height: 16 });
    const pixel = await sharp(clean.data).raw().toBuffer();
    expect([...pixel.subarray(0, 4)]).toEqual([...(await sharp(plain).raw().toBuffer()).subarray(0, 4)]);
  });

  it('strips EXIF (camera, GPS) and ICC from a JPEG and applies its orientation to the pixels', async () => {
    const jpeg = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#3366cc' } })
      .jpeg()
      .withMetadata({ orientation: 6, exif: { IFD0: { Copyright: 'secret-camera-owner', Make: 'SpyCam' } } })
      .toBuffer();
    const before = await sharp(jpeg).metadata();
    expect({ exif: before.exif !== undefined, orientation: before.orientation }).toEqual({ exif: true, orientation: 6 });
    const clean = await sanitizeOriginal(jpeg, inspectImage(jpeg));
    const after = await sharp(clean.data).metadata();
    expect({ exif: after.exif, icc: after.icc, xmp: after.xmp, orientation: after.orientation }).toEqual({ exif: undefined, icc: undefined, xmp: undefined, orientation: undefined });
    expect(clean.data.includes(Buffer.from('secret-camera-owner'))).toBe(false);
    // rotated upright: 40×20 shown as 20×40
    expect({ width: clean.width, height: clean.height, type: clean.contentType }).toEqual({ width: 20, height: 40, type: 'image/jpeg' });
  });

  it('refuses an image it cannot decode with CORRUPT', async () => {
    const plain = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer();
    const broken = Buffer.concat([plain.subarray(0, 33), Buffer.alloc(64, 0x5a)]); // a header, then noise
    await expect(sanitizeOriginal(broken, { format: 'png', contentType: 'image/png', width: 8, height: 8 })).rejects.toMatchObject({ code: 'CORRUPT' });
  });

  it('refuses a time limit that is not whole seconds from 1 to 3600 (0 would switch the limit off), here and for thumbnails', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer();
    const info = inspectImage(png);
    for (const bad of [0, 0.5, -1, 3601]) {
      await expect(sanitizeOriginal(png, info, {}, bad)).rejects.toThrow(/image job time limit must be whole seconds from 1 to 3600/);
      await expect(makeThumbnail(png, info, { timeoutS: bad })).rejects.toThrow(/image job time limit must be whole seconds from 1 to 3600/);
    }
    expect((await sanitizeOriginal(png, info, {}, 1)).width).toBe(8); // control: a fast image within 1 s
  });
});
