import sharp from 'sharp';
import { crc32 } from './crc32';
import { DEFAULT_IMAGE_LIMITS, ImageRejectedError, inspectImage, isImageRejectedError, type ImageLimits, type ImageRejectedCode } from './index';

const W = 37;
const H = 23;

/** A solid W×H (or given size) image to encode; 4 channels makes it translucent. */
function solid(channels: 3 | 4 = 3, width = W, height = H): sharp.Sharp {
  const background = channels === 4 ? { r: 10, g: 20, b: 30, alpha: 0.5 } : '#3366cc';
  return sharp({ create: { width, height, channels, background } });
}

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
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND')]);
}

/** Offset of the first occurrence of `bytes` in `buffer` (fails the test when absent). */
function offsetOf(buffer: Buffer, bytes: number[] | string): number {
  const at = buffer.indexOf(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes));
  expect(at).toBeGreaterThanOrEqual(0);
  return at;
}

/** Runs inspectImage expecting an ImageRejectedError, and returns it. */
function rejection(buffer: Uint8Array, limits?: Partial<ImageLimits>): ImageRejectedError {
  try {
    inspectImage(buffer, limits);
  } catch (error) {
    if (isImageRejectedError(error)) return error;
    throw error;
  }
  throw new Error('expected inspectImage to reject the image, but it was accepted');
}

const ACCEPTED = 'Accepted: JPEG, PNG, WebP or GIF images up to 10 MiB and 40 megapixels.';

let images: Record<'png' | 'jpeg' | 'progressiveJpeg' | 'exifJpeg' | 'gif' | 'animatedGif' | 'webpLossy' | 'webpLossless' | 'webpAlpha', Buffer>;

beforeAll(async () => {
  const frames = Buffer.alloc(W * H * 3 * 3, 0x80); // three W×H RGB frames stacked vertically
  images = {
    png: await solid(4).png().toBuffer(),
    jpeg: await solid().jpeg().toBuffer(),
    progressiveJpeg: await solid().jpeg({ progressive: true }).toBuffer(),
    exifJpeg: await solid().jpeg().withMetadata({ orientation: 6 }).toBuffer(),
    gif: await solid().gif().toBuffer(),
    animatedGif: await sharp(frames, { raw: { width: W, height: H * 3, channels: 3, pageHeight: H } }).gif().toBuffer(),
    webpLossy: await solid().webp().toBuffer(),
    webpLossless: await solid().webp({ lossless: true }).toBuffer(),
    webpAlpha: await solid(4).webp().toBuffer(),
  };
});

describe('inspectImage accepts', () => {
  it.each([
    ['png', 'png', 'image/png'],
    ['jpeg', 'jpeg', 'image/jpeg'],
    ['progressiveJpeg', 'jpeg', 'image/jpeg'],
    ['exifJpeg', 'jpeg', 'image/jpeg'],
    ['gif', 'gif', 'image/gif'],
    ['animatedGif', 'gif', 'image/gif'],
    ['webpLossy', 'webp', 'image/webp'],
    ['webpLossless', 'webp', 'image/webp'],
    ['webpAlpha', 'webp', 'image/webp'],
  ] as const)('%s as %s with its declared size', (name, format, contentType) => {
    expect(inspectImage(images[name])).toEqual({ format, contentType, width: W, height: H });
  });

  it('the WebP container variants it claims to parse', () => {
    expect(images.webpLossy.toString('latin1', 12, 16)).toBe('VP8 ');
    expect(images.webpLossless.toString('latin1', 12, 16)).toBe('VP8L');
    expect(images.webpAlpha.toString('latin1', 12, 16)).toBe('VP8X');
  });

  it('an image exactly at the byte and pixel caps', () => {
    expect(inspectImage(images.png, { maxBytes: images.png.length, maxPixels: W * H })).toMatchObject({ width: W, height: H });
  });

  it('a JPEG whose scan holds byte stuffing, fill bytes and restart markers', () => {
    const jpeg = Buffer.from([
      ...[0xff, 0xd8], // SOI
      ...[0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x11, 0x00, 0x22, 0x01, 0x01, 0x11, 0x00], // SOF0: 34×17, 1 component
      ...[0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00], // SOS
      ...[0x12, 0x34, 0xff, 0x00, 0x56, 0xff, 0xd0, 0x78, 0xff, 0xff, 0xd1, 0x9a], // entropy-coded data
      ...[0xff, 0xd9], // EOI
    ]);
    expect(inspectImage(jpeg)).toEqual({ format: 'jpeg', contentType: 'image/jpeg', width: 34, height: 17 });
  });

  it('a Uint8Array as well as a Buffer', () => {
    expect(inspectImage(new Uint8Array(images.gif)).format).toBe('gif');
  });
});

describe('inspectImage rejects', () => {
  it('no bytes with EMPTY', () => {
    const error = rejection(Buffer.alloc(0));
    expect(error.code).toBe('EMPTY');
    expect(error.message).toContain(ACCEPTED);
  });

  it('text named .png with UNSUPPORTED_TYPE, saying what it looks like and what is accepted', () => {
    const error = rejection(Buffer.from('hello, this is a holiday photo.png, honest\n'));
    expect(error.code).toBe('UNSUPPORTED_TYPE');
    expect(error.message).toMatch(/looks like text/);
    expect(error.message).toContain(ACCEPTED);
  });

  it.each([
    ['%PDF-1.7\n%binary', /a PDF document/],
    ['<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', /an SVG/],
    ['BM\x00\x00\x00\x00\x00\x00', /a BMP image/],
    ['\x00\x00\x00\x1cftypheic\x00\x00\x00\x00', /a HEIC\/HEIF image/],
    ['RIFF\x24\x00\x00\x00WAVEfmt ', /not WebP/],
    ['\x00\x01\x02\x03\x04\x05\x06\x07', /unrecognised binary data/],
  ])('%j with UNSUPPORTED_TYPE', (content, description) => {
    const error = rejection(Buffer.from(content, 'latin1'));
    expect(error.code).toBe('UNSUPPORTED_TYPE');
    expect(error.message).toMatch(description);
  });

  it('more bytes than the default 10 MiB with TOO_LARGE', () => {
    const big = Buffer.alloc(DEFAULT_IMAGE_LIMITS.maxBytes + 1);
    images.png.copy(big);
    const error = rejection(big);
    expect(error.code).toBe('TOO_LARGE');
    expect(error.message).toMatch(/^The image is 10 MiB, over the 10 MiB limit/);
  });

  it('one byte over a custom maxBytes with TOO_LARGE', () => {
    expect(rejection(images.png, { maxBytes: images.png.length - 1 }).code).toBe('TOO_LARGE');
  });

  it('a PNG decompression bomb (tiny file, IHDR declaring 100000×100000, valid CRC) with TOO_MANY_PIXELS', () => {
    const bomb = pngDeclaring(100_000, 100_000);
    expect(bomb.length).toBeLessThan(100);
    const error = rejection(bomb);
    expect(error.code).toBe('TOO_MANY_PIXELS');
    expect(error.message).toContain('100000×100000 pixels (10000 megapixels), over the 40 megapixels limit');
  });

  it('a JPEG whose SOF declares 50000×50000 with TOO_MANY_PIXELS', () => {
    const bomb = Buffer.from(images.jpeg);
    const sof = offsetOf(bomb, [0xff, 0xc0]);
    bomb.writeUInt16BE(50_000, sof + 5);
    bomb.writeUInt16BE(50_000, sof + 7);
    expect(rejection(bomb).code).toBe('TOO_MANY_PIXELS');
  });

  it('a GIF whose logical screen is 65535×65535 with TOO_MANY_PIXELS', () => {
    const bomb = Buffer.from(images.gif);
    bomb.writeUInt16LE(65_535, 6);
    bomb.writeUInt16LE(65_535, 8);
    expect(rejection(bomb).code).toBe('TOO_MANY_PIXELS');
  });

  it('a GIF frame placed far outside a small screen with TOO_MANY_PIXELS', () => {
    const bomb = Buffer.from(images.gif);
    const descriptor = bomb.indexOf(0x2c, 13);
    bomb.writeUInt16LE(65_000, descriptor + 1);
    bomb.writeUInt16LE(65_000, descriptor + 3);
    expect(rejection(bomb).message).toMatch(/has frame 1 reaching 65037×65023 pixels/);
  });

  it('a WebP whose VP8X canvas is 16384×16384 with TOO_MANY_PIXELS', () => {
    const bomb = Buffer.from(images.webpAlpha);
    bomb.writeUIntLE(16_383, 24, 3);
    bomb.writeUIntLE(16_383, 27, 3);
    expect(rejection(bomb).code).toBe('TOO_MANY_PIXELS');
  });

  it('one pixel over a custom maxPixels with TOO_MANY_PIXELS', () => {
    for (const name of ['png', 'jpeg', 'gif', 'webpLossy', 'webpLossless', 'webpAlpha'] as const) {
      expect(rejection(images[name], { maxPixels: W * H - 1 }).code).toBe('TOO_MANY_PIXELS');
    }
  });

  it.each([
    ['a PNG without IEND', () => images.png.subarray(0, images.png.length - 12), /before the IEND chunk/],
    ['a PNG cut inside IHDR', () => images.png.subarray(0, 20), /IHDR/],
    ['a JPEG without EOI', () => images.jpeg.subarray(0, images.jpeg.length - 2), /end-of-image \(EOI\)/],
    ['a JPEG cut in its header', () => images.jpeg.subarray(0, 40), /./],
    ['a progressive JPEG cut between scans', () => images.progressiveJpeg.subarray(0, Math.floor(images.progressiveJpeg.length * 0.7)), /EOI/],
    ['a GIF without trailer', () => images.gif.subarray(0, images.gif.length - 1), /trailer/],
    ['an animated GIF cut in its second frame', () => images.animatedGif.subarray(0, Math.floor(images.animatedGif.length / 2)), /trailer/],
    ['a WebP shorter than its RIFF size', () => images.webpLossy.subarray(0, images.webpLossy.length - 10), /bytes its RIFF header declares/],
    ['the first 4 bytes of a PNG', () => images.png.subarray(0, 4), /start of a PNG image, cut short/],
  ])('%s with TRUNCATED', (_name, make, detail) => {
    const error = rejection(make());
    expect(error.code).toBe('TRUNCATED');
    expect(error.message).toMatch(detail);
    expect(error.message).toContain(ACCEPTED);
  });

  it('every strict prefix of every accepted image (3 bytes or more) with TRUNCATED', () => {
    for (const [name, image] of Object.entries(images)) {
      for (let length = 3; length < image.length; length++) {
        const code = rejection(image.subarray(0, length)).code;
        if (code !== 'TRUNCATED') throw new Error(`${name} cut to ${length} bytes was rejected with ${code}`);
      }
    }
  });

  it.each([
    [
      'a PNG whose IHDR CRC does not match',
      () => {
        const png = Buffer.from(images.png);
        png[29] ^= 0xff;
        return png;
      },
      /checksum/,
    ],
    ['a PNG declaring 0×10', () => pngDeclaring(0, 10), /invalid size 0×10/],
    ['a PNG without IDAT', () => Buffer.concat([pngDeclaring(4, 4).subarray(0, 33), pngChunk('IEND')]), /no image data/],
    [
      'a JPEG with garbage where a marker should be',
      () => {
        const afterFirstSegment = 4 + images.jpeg.readUInt16BE(4);
        return Buffer.concat([images.jpeg.subarray(0, afterFirstSegment), Buffer.from([0x12, 0x34]), images.jpeg.subarray(afterFirstSegment)]);
      },
      /expected a marker at byte \d+/,
    ],
    [
      'a GIF with an unknown block',
      () => {
        const gif = Buffer.from(images.gif);
        gif[gif.indexOf(0x2c, 13)] = 0x99;
        return gif;
      },
      /unexpected block 0x99/,
    ],
    [
      'a WebP VP8 chunk without its start code',
      () => {
        const webp = Buffer.from(images.webpLossy);
        webp[23] = 0;
        return webp;
      },
      /VP8 start code/,
    ],
  ])('%s with CORRUPT', (_name, make, detail) => {
    const error = rejection(make());
    expect(error.code).toBe('CORRUPT');
    expect(error.message).toMatch(detail);
  });

  it('randomly damaged images only ever with ImageRejectedError (never another exception)', () => {
    let seed = 42;
    const random = (below: number): number => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed % below;
    };
    const codes = new Set<ImageRejectedCode | 'accepted'>();
    for (const image of Object.values(images)) {
      for (let round = 0; round < 150; round++) {
        const damaged = Buffer.from(image);
        for (let flips = 1 + random(4); flips > 0; flips--) damaged[random(damaged.length)] = random(256);
        try {
          inspectImage(damaged);
          codes.add('accepted');
        } catch (error) {
          if (!isImageRejectedError(error)) throw error;
          codes.add(error.code);
        }
      }
    }
    expect(codes.size).toBeGreaterThan(2);
  });
});

describe('inspectImage misuse', () => {
  it('throws a TypeError for something that is not bytes', () => {
    expect(() => inspectImage('not bytes' as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('throws a RangeError naming a bad limit', () => {
    expect(() => inspectImage(images.png, { maxPixels: 0 })).toThrow(/maxPixels must be a positive integer/);
    expect(() => inspectImage(images.png, { maxBytes: Number.NaN })).toThrow(RangeError);
  });
});
