import { crc32 } from './crc32';
import { ImageRejectedError } from './image-rejected.error';
import { acceptedImagesText, formatBytes, formatPixels, resolveImageLimits, type ImageLimits } from './image-limits';

/** Image formats the platform accepts. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif';

/** MIME type of each accepted format. */
export const IMAGE_CONTENT_TYPES: Readonly<Record<ImageFormat, string>> = Object.freeze({
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
});

/** What inspectImage learned from an image's bytes. */
export interface ImageInfo {
  /** Format detected from the magic number (never from a name or a client's claim). */
  readonly format: ImageFormat;
  /** MIME type of `format`. */
  readonly contentType: string;
  /** Width in pixels, as declared by the header (before any EXIF orientation). */
  readonly width: number;
  /** Height in pixels, as declared by the header (before any EXIF orientation). */
  readonly height: number;
}

/** Human name of each accepted format, for messages. */
export const IMAGE_FORMAT_NAMES: Readonly<Record<ImageFormat, string>> = Object.freeze({ jpeg: 'JPEG', png: 'PNG', webp: 'WebP', gif: 'GIF' });

/** Magic numbers; `-1` matches any byte. */
const SIGNATURES: ReadonlyArray<{ readonly format: ImageFormat; readonly bytes: readonly number[] }> = [
  { format: 'png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { format: 'jpeg', bytes: [0xff, 0xd8, 0xff] },
  { format: 'gif', bytes: [...ascii('GIF87a')] },
  { format: 'gif', bytes: [...ascii('GIF89a')] },
  { format: 'webp', bytes: [...ascii('RIFF'), -1, -1, -1, -1, ...ascii('WEBP')] },
];

/**
 * Validates an uploaded image by its bytes, without decoding it: detects the format from the
 * magic number (JPEG, PNG, WebP, GIF), reads the declared pixel size from the header (PNG IHDR,
 * JPEG SOFn, GIF logical screen and frames, WebP VP8/VP8L/VP8X), enforces the byte and pixel caps
 * (a tiny file declaring a huge size is a decompression bomb), and walks the file's structure to
 * check it is complete. Linear in the input, allocation-free, never throws anything but
 * ImageRejectedError for bad bytes (a TypeError when `buffer` is not bytes, a RangeError for bad
 * limits).
 *
 * @param buffer the uploaded file.
 * @param limits caps; unset ones default to DEFAULT_IMAGE_LIMITS (10 MiB, 40 megapixels).
 * @throws ImageRejectedError with code EMPTY, UNSUPPORTED_TYPE, TOO_LARGE, TOO_MANY_PIXELS,
 *   TRUNCATED or CORRUPT, and a message saying what was wrong and what is accepted.
 */
export function inspectImage(buffer: Uint8Array, limits: Partial<ImageLimits> = {}): ImageInfo {
  const caps = resolveImageLimits(limits);
  const accepted = acceptedImagesText(caps);
  if (buffer === null || buffer === undefined || (buffer instanceof Uint8Array && buffer.length === 0)) {
    throw new ImageRejectedError('EMPTY', `The image is empty (0 bytes). ${accepted}`);
  }
  if (!(buffer instanceof Uint8Array)) {
    throw new TypeError(`inspectImage: expected the image as a Buffer or Uint8Array, got ${typeof buffer}`);
  }
  if (buffer.length > caps.maxBytes) {
    throw new ImageRejectedError('TOO_LARGE', `The image is ${formatBytes(buffer.length)}, over the ${formatBytes(caps.maxBytes)} limit. ${accepted}`);
  }

  const format = detectFormat(buffer, accepted);
  const name = IMAGE_FORMAT_NAMES[format];
  const fail = {
    truncated: (detail: string): never => {
      throw new ImageRejectedError('TRUNCATED', `The ${name} image is cut short: ${detail}. Upload the complete file. ${accepted}`);
    },
    corrupt: (detail: string): never => {
      throw new ImageRejectedError('CORRUPT', `The ${name} image is damaged: ${detail}. ${accepted}`);
    },
    checkPixels: (width: number, height: number, what = 'declares'): void => {
      if (width * height > caps.maxPixels) {
        throw new ImageRejectedError(
          'TOO_MANY_PIXELS',
          `The ${name} image ${what} ${width}×${height} pixels (${formatPixels(width * height)}), over the ${formatPixels(caps.maxPixels)} limit. ${accepted}`,
        );
      }
    },
  };
  const reader = new ByteReader(buffer, fail.truncated);
  const size = PARSERS[format](reader, fail);
  return { format, contentType: IMAGE_CONTENT_TYPES[format], width: size.width, height: size.height };
}

/** Ways a format parser reports problems. */
interface Fail {
  /** Throws TRUNCATED with `detail`. */
  readonly truncated: (detail: string) => never;
  /** Throws CORRUPT with `detail`. */
  readonly corrupt: (detail: string) => never;
  /** Throws TOO_MANY_PIXELS when width × height is over the cap. */
  readonly checkPixels: (width: number, height: number, what?: string) => void;
}

/** Pixel size. */
interface Size {
  readonly width: number;
  readonly height: number;
}

/** Parses one format: returns the declared size after checking pixels and completeness. */
type Parser = (reader: ByteReader, fail: Fail) => Size;

/** Bounds-checked big/little-endian reads; reading past the end reports TRUNCATED. */
class ByteReader {
  /** @param bytes the input; @param truncated called with a detail when a read runs past the end. */
  constructor(
    readonly bytes: Uint8Array,
    private readonly truncated: (detail: string) => never,
  ) {}

  /** Input length. */
  get length(): number {
    return this.bytes.length;
  }

  /** Ensures `end` bytes exist, else reports TRUNCATED with `what`. */
  need(end: number, what: string): void {
    if (end > this.bytes.length) this.truncated(what);
  }

  u8(at: number, what: string): number {
    this.need(at + 1, what);
    return this.bytes[at];
  }

  u16be(at: number, what: string): number {
    this.need(at + 2, what);
    return (this.bytes[at] << 8) | this.bytes[at + 1];
  }

  u32be(at: number, what: string): number {
    this.need(at + 4, what);
    return ((this.bytes[at] << 24) >>> 0) + ((this.bytes[at + 1] << 16) | (this.bytes[at + 2] << 8) | this.bytes[at + 3]);
  }

  u16le(at: number, what: string): number {
    this.need(at + 2, what);
    return this.bytes[at] | (this.bytes[at + 1] << 8);
  }

  u24le(at: number, what: string): number {
    this.need(at + 3, what);
    return this.bytes[at] | (this.bytes[at + 1] << 8) | (this.bytes[at + 2] << 16);
  }

  u32le(at: number, what: string): number {
    this.need(at + 4, what);
    return this.u24le(at, what) + this.bytes[at + 3] * 0x1000000;
  }

  /** Four bytes as a string (chunk types, FourCCs). */
  fourcc(at: number, what: string): string {
    this.need(at + 4, what);
    return String.fromCharCode(this.bytes[at], this.bytes[at + 1], this.bytes[at + 2], this.bytes[at + 3]);
  }
}

/** Largest width or height a PNG may declare (2^31 - 1). */
const PNG_MAX_DIMENSION = 0x7fffffff;

/** PNG: IHDR (first chunk, CRC checked), then chunks up to IEND with at least one IDAT. */
function parsePng(r: ByteReader, fail: Fail): Size {
  const headerLength = r.u32be(8, 'it ends inside the IHDR header');
  if (r.fourcc(12, 'it ends inside the IHDR header') !== 'IHDR' || headerLength !== 13) {
    fail.corrupt('the first chunk is not a 13-byte IHDR header');
  }
  const width = r.u32be(16, 'it ends inside the IHDR header');
  const height = r.u32be(20, 'it ends inside the IHDR header');
  const crc = r.u32be(29, 'it ends inside the IHDR header');
  if (crc32(r.bytes.subarray(12, 29)) !== crc) fail.corrupt('the IHDR header checksum (CRC) does not match');
  if (width === 0 || height === 0 || width > PNG_MAX_DIMENSION || height > PNG_MAX_DIMENSION) {
    fail.corrupt(`the header declares an invalid size ${width}×${height}`);
  }
  fail.checkPixels(width, height);

  let at = 33;
  let sawData = false;
  for (;;) {
    const length = r.u32be(at, 'it ends before the IEND chunk');
    const type = r.fourcc(at + 4, 'it ends before the IEND chunk');
    if (length > PNG_MAX_DIMENSION) fail.corrupt(`chunk ${JSON.stringify(type)} at byte ${at} declares an invalid length`);
    if (!/^[A-Za-z]{4}$/.test(type)) fail.corrupt(`invalid chunk type at byte ${at}`);
    const end = at + 12 + length;
    r.need(end, `the ${type} chunk at byte ${at} is incomplete`);
    if (type === 'IEND') break;
    if (type === 'IDAT') sawData = true;
    at = end;
  }
  if (!sawData) fail.corrupt('it has no image data (IDAT chunk)');
  return { width, height };
}

/** True for JPEG start-of-frame markers SOF0–SOF15 (0xC0–0xCF except DHT, JPG and DAC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** JPEG: walks marker segments (and entropy-coded scans) from SOI to EOI; size from the first SOFn. */
function parseJpeg(r: ByteReader, fail: Fail): Size {
  const missingEnd = 'it ends before the end-of-image (EOI) marker';
  let size: Size | undefined;
  let at = 2;
  for (;;) {
    if (r.u8(at, missingEnd) !== 0xff) fail.corrupt(`expected a marker at byte ${at}`);
    while (r.u8(at, missingEnd) === 0xff) at++; // 0xFF fill bytes may precede a marker
    const marker = r.bytes[at];
    const markerAt = at - 1;
    at++;
    if (marker === 0xd9) break; // EOI
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue; // RSTn, TEM: no payload
    if (marker === 0x00 || marker === 0xd8) fail.corrupt(`unexpected marker 0xFF${hex(marker)} at byte ${markerAt}`);
    const length = r.u16be(at, missingEnd);
    if (length < 2) fail.corrupt(`the segment at byte ${markerAt} declares an invalid length`);
    const end = at + length;
    r.need(end, `the segment 0xFF${hex(marker)} at byte ${markerAt} is incomplete`);
    if (isStartOfFrame(marker) && !size) {
      if (length < 8) fail.corrupt(`the frame header at byte ${markerAt} is too short`);
      const height = r.u16be(at + 3, missingEnd);
      const width = r.u16be(at + 5, missingEnd);
      if (width === 0 || height === 0) fail.corrupt(`the frame header declares an unsupported size ${width}×${height}`);
      fail.checkPixels(width, height);
      size = { width, height };
    }
    at = end;
    if (marker === 0xda) {
      // start of scan: entropy-coded data runs until a marker other than stuffing (FF00) or RSTn
      if (!size) fail.corrupt('image data starts before the frame header (SOF)');
      for (;;) {
        const ff = r.bytes.indexOf(0xff, at);
        if (ff < 0 || ff + 1 >= r.length) return fail.truncated(missingEnd);
        const next = r.bytes[ff + 1];
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) at = ff + 2;
        else if (next === 0xff) at = ff + 1;
        else {
          at = ff;
          break;
        }
      }
    }
  }
  if (!size) return fail.corrupt('it has no frame header (SOF), so its size is unknown');
  return size;
}

/** GIF: logical screen size, then blocks (frames, extensions) up to the trailer. */
function parseGif(r: ByteReader, fail: Fail): Size {
  const missingEnd = 'it ends before the GIF trailer';
  const width = r.u16le(6, 'it ends inside the header');
  const height = r.u16le(8, 'it ends inside the header');
  const packed = r.u8(10, 'it ends inside the header');
  r.need(13, 'it ends inside the header');
  if (width === 0 || height === 0) fail.corrupt(`the header declares an invalid size ${width}×${height}`);
  fail.checkPixels(width, height);

  /** Skips data sub-blocks (length-prefixed, ended by a zero length). */
  const skipSubBlocks = (from: number): number => {
    let pos = from;
    for (let blockSize = r.u8(pos, missingEnd); blockSize !== 0; blockSize = r.u8(pos, missingEnd)) pos += 1 + blockSize;
    return pos + 1;
  };

  let at = 13 + (packed & 0x80 ? 3 * (1 << ((packed & 0x07) + 1)) : 0);
  let frames = 0;
  for (;;) {
    const introducer = r.u8(at, missingEnd);
    if (introducer === 0x3b) break; // trailer
    if (introducer === 0x21) {
      r.need(at + 2, missingEnd); // extension: introducer, label, sub-blocks
      at = skipSubBlocks(at + 2);
    } else if (introducer === 0x2c) {
      const left = r.u16le(at + 1, missingEnd);
      const top = r.u16le(at + 3, missingEnd);
      const frameWidth = r.u16le(at + 5, missingEnd);
      const frameHeight = r.u16le(at + 7, missingEnd);
      const framePacked = r.u8(at + 9, missingEnd);
      frames++;
      // a frame reaching beyond the logical screen enlarges the canvas some decoders allocate
      fail.checkPixels(Math.max(width, left + frameWidth), Math.max(height, top + frameHeight), `has frame ${frames} reaching`);
      at += 10 + (framePacked & 0x80 ? 3 * (1 << ((framePacked & 0x07) + 1)) : 0);
      r.need(at + 1, missingEnd); // LZW minimum code size
      at = skipSubBlocks(at + 1);
    } else {
      fail.corrupt(`unexpected block 0x${hex(introducer)} at byte ${at}`);
    }
  }
  if (frames === 0) fail.corrupt('it contains no image');
  return { width, height };
}

/** WebP: RIFF container; size from the first chunk (VP8, VP8L or VP8X); all chunks within the RIFF size. */
function parseWebp(r: ByteReader, fail: Fail): Size {
  const riffSize = r.u32le(4, 'it ends inside the RIFF header');
  const fileEnd = 8 + riffSize;
  if (riffSize < 4 + 8) fail.corrupt('the RIFF header declares an invalid size');
  r.need(fileEnd, `it has ${r.length} of the ${fileEnd} bytes its RIFF header declares`);

  const chunkEnd = (at: number): number => {
    const length = r.u32le(at + 4, 'a chunk header is incomplete');
    const end = at + 8 + length;
    if (end > fileEnd) fail.truncated(`the ${r.fourcc(at, 'a chunk header is incomplete')} chunk at byte ${at} is incomplete`);
    return end + (length & 1); // chunks are padded to an even length
  };

  const first = r.fourcc(12, 'it ends before the first chunk');
  const data = 20;
  const payload = r.u32le(16, 'it ends before the first chunk');
  let end = chunkEnd(12);
  let size: Size;
  let sawImage = true;
  if (first === 'VP8 ') {
    if (payload < 10) fail.corrupt('the VP8 chunk is too short');
    if (r.bytes[data + 3] !== 0x9d || r.bytes[data + 4] !== 0x01 || r.bytes[data + 5] !== 0x2a) fail.corrupt('the VP8 start code is missing');
    size = { width: r.u16le(data + 6, 'VP8') & 0x3fff, height: r.u16le(data + 8, 'VP8') & 0x3fff };
  } else if (first === 'VP8L') {
    if (payload < 5) fail.corrupt('the VP8L chunk is too short');
    if (r.bytes[data] !== 0x2f) fail.corrupt('the VP8L signature is missing');
    const bits = r.u32le(data + 1, 'VP8L');
    size = { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  } else if (first === 'VP8X') {
    if (payload < 10) fail.corrupt('the VP8X chunk is too short');
    size = { width: r.u24le(data + 4, 'VP8X') + 1, height: r.u24le(data + 7, 'VP8X') + 1 };
    sawImage = false;
  } else {
    return fail.corrupt(`the first chunk ${JSON.stringify(first)} is not VP8, VP8L or VP8X`);
  }
  if (size.width === 0 || size.height === 0) fail.corrupt(`the header declares an invalid size ${size.width}×${size.height}`);
  fail.checkPixels(size.width, size.height);

  while (end + 8 <= fileEnd) {
    const type = r.fourcc(end, 'a chunk header is incomplete');
    if (type === 'VP8 ' || type === 'VP8L' || type === 'ANMF') sawImage = true;
    end = chunkEnd(end);
  }
  if (!sawImage) fail.corrupt('it has no image data (VP8, VP8L or ANMF chunk)');
  return size;
}

/** Parser of each format. */
const PARSERS: Readonly<Record<ImageFormat, Parser>> = { png: parsePng, jpeg: parseJpeg, gif: parseGif, webp: parseWebp };

/**
 * The format whose magic number starts `bytes`. A file shorter than a signature it begins with
 * (at least 3 matching bytes) is TRUNCATED; anything else is UNSUPPORTED_TYPE with a guess of
 * what the file is.
 */
function detectFormat(bytes: Uint8Array, accepted: string): ImageFormat {
  for (const { format, bytes: signature } of SIGNATURES) {
    const compared = Math.min(bytes.length, signature.length);
    let matches = true;
    for (let i = 0; i < compared && matches; i++) matches = signature[i] < 0 || signature[i] === bytes[i];
    if (!matches) continue;
    if (compared === signature.length) return format;
    if (compared >= 3) {
      throw new ImageRejectedError(
        'TRUNCATED',
        `The file is only ${formatBytes(bytes.length)}: the start of a ${IMAGE_FORMAT_NAMES[format]} image, cut short. Upload the complete file. ${accepted}`,
      );
    }
  }
  throw new ImageRejectedError(
    'UNSUPPORTED_TYPE',
    `The file is not a supported image: it looks like ${describeUnknown(bytes)}. The type is detected from the file's content, not its name. ${accepted}`,
  );
}

/** A guess of what an unsupported file is, for the rejection message. */
function describeUnknown(bytes: Uint8Array): string {
  const head = String.fromCharCode(...bytes.subarray(0, 16));
  if (head.startsWith('%PDF')) return 'a PDF document';
  if (head.startsWith('BM')) return 'a BMP image';
  if (head.startsWith('II*\0') || head.startsWith('MM\0*')) return 'a TIFF image';
  if (head.slice(4, 8) === 'ftyp') {
    const brand = head.slice(8, 12);
    if (brand === 'avif' || brand === 'avis') return 'an AVIF image';
    if (['heic', 'heix', 'hevc', 'heim', 'heis', 'mif1', 'msf1'].includes(brand)) return 'a HEIC/HEIF image';
    return 'a video or other ISO media file';
  }
  if (head.startsWith('RIFF')) return 'a RIFF file that is not WebP (such as WAV or AVI)';
  if (head.startsWith('PK\x03\x04')) return 'a ZIP archive or office document';
  const sample = bytes.subarray(0, 512);
  if (sample.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b !== 0x7f))) {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(sample).replace(/^\uFEFF/, '').trimStart().toLowerCase();
    if (text.startsWith('<svg') || (text.startsWith('<') && text.includes('<svg'))) return 'an SVG (vector) image';
    if (text.startsWith('<')) return 'HTML or XML text';
    return 'text';
  }
  return 'unrecognised binary data';
}

/** Two-digit uppercase hex of a byte. */
function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}

/** Byte values of an ASCII string. */
function ascii(text: string): number[] {
  return Array.from(text, (c) => c.charCodeAt(0));
}
