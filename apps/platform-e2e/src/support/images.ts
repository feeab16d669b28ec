import sharp from 'sharp';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { encodePng } from '../../../cli/src/app/load/png';
import type { UploadFile } from './api';

/** A small real PNG (noise, so it is not trivially compressible), `size`×`size` pixels. */
export async function smallPng(size = 48, seed = 1): Promise<UploadFile> {
  const pixels = Buffer.alloc(size * size * 3);
  let x = seed * 2654435761;
  for (let i = 0; i < pixels.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    pixels[i] = x >>> 24;
  }
  const bytes = await sharp(pixels, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer();
  return { bytes, type: 'image/png', name: `noise-${size}.png` };
}

/** A small real JPEG. */
export async function smallJpeg(): Promise<UploadFile> {
  const bytes = await sharp({ create: { width: 64, height: 40, channels: 3, background: { r: 200, g: 80, b: 40 } } }).jpeg().toBuffer();
  return { bytes, type: 'image/jpeg', name: 'photo.jpg' };
}

/**
 * A real decompression bomb: a valid PNG of `side`×`side` 1-bit grayscale pixels (default
 * 20000×20000 = 400 megapixels, 10× the 40 MP cap), all zeros, so its IDAT (about 50 KB) inflates
 * to about 50 MB of scanlines, and to 400 MB+ once decoded to 8-bit pixels.
 */
export function bombPng(side = 20_000): UploadFile {
  const scanlines = Buffer.alloc(side * (1 + Math.ceil(side / 8))); // filter byte 0 + zero pixels
  const bytes = encodePng(side, side, 1, 0, scanlines, 9);
  return { bytes, type: 'image/png', name: 'bomb.png' };
}

/** A PNG cut in the middle of its data (a failed download, a half-written file). */
export async function truncatedPng(): Promise<UploadFile> {
  const { bytes } = await smallPng(64, 7);
  return { bytes: Buffer.from(bytes).subarray(0, Math.floor(bytes.length / 2)), type: 'image/png', name: 'cut.png' };
}

/** A text file named like a PNG (and claiming to be one). */
export function textNamedPng(): UploadFile {
  return { bytes: Buffer.from('this is not an image, whatever its name says\n'.repeat(20)), type: 'image/png', name: 'notes.png' };
}

/** A file well above the 10 MiB cap (a PNG signature followed by 11 MiB of bytes). */
export function oversizedFile(bytes = 11 * 1024 * 1024): UploadFile {
  const data = Buffer.alloc(bytes, 0x41);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(data);
  return { bytes: data, type: 'image/png', name: 'huge.png' };
}
