import { deflateSync } from 'node:zlib';
import type { ApiImage } from './api-client';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * Encodes a PNG from its scanlines (each row: a filter byte, then the pixels), deflated at `level`.
 * `bitDepth` and `colorType` go to IHDR as they are (e.g. 8 + 2 = RGB, 1 + 0 = 1-bit grayscale).
 */
export function encodePng(width: number, height: number, bitDepth: number, colorType: number, scanlines: Buffer, level = 6): Buffer {
  const ihdr = Buffer.alloc(13); // compression, filter method and interlace stay 0
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(scanlines, { level })), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * A small valid PNG (`size`×`size` RGB noise from `seed`, so every upload differs), built by hand:
 * no image library on the load generator's hot path.
 */
export function noisePng(seed: number, size = 16): ApiImage {
  const raw = Buffer.alloc(size * (1 + size * 3));
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let row = 0; row < size; row++) {
    const start = row * (1 + size * 3);
    raw[start] = 0; // filter: none
    for (let i = 1; i <= size * 3; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      raw[start + i] = x >>> 24;
    }
  }
  return { bytes: encodePng(size, size, 8, 2, raw), type: 'image/png', name: `load-${seed}.png` };
}
