import { createHash } from 'node:crypto';
import sharp from 'sharp';

/**
 * sha256 (hex) of an image's decoded pixels (width, height, channels, then the raw pixels): what
 * the lost-write checker compares, since the upload service re-encodes every original (metadata
 * and ancillary data gone: the bytes differ, the pixels of a lossless PNG do not). `undefined`
 * when the bytes do not decode (a damaged image counts as lost).
 */
export async function pixelDigest(bytes: Uint8Array): Promise<string | undefined> {
  try {
    const { data, info } = await sharp(bytes, { failOn: 'error' }).raw().toBuffer({ resolveWithObject: true });
    return createHash('sha256').update(`${info.width}x${info.height}x${info.channels}\n`).update(data).digest('hex');
  } catch {
    return undefined;
  }
}
