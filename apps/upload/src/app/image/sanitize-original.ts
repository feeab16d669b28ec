import sharp from 'sharp';
import { ImageRejectedError } from './image-rejected.error';
import { acceptedImagesText, formatPixels, resolveImageLimits, type ImageLimits } from './image-limits';
import { IMAGE_FORMAT_NAMES, type ImageInfo } from './inspect-image.validator';

/** Default longest a decode + encode of one upload may take, seconds (libvips stops it and the upload is refused; IMAGE_JOB_TIMEOUT_S). */
export const IMAGE_JOB_TIMEOUT_S = 10;

/** An original ready to store: re-encoded, without metadata. */
export interface SanitizedOriginal {
  readonly data: Buffer;
  readonly contentType: string;
  /** Pixel size after the EXIF orientation was applied. */
  readonly width: number;
  readonly height: number;
}

/**
 * Re-encodes an accepted upload in its own format, so that what is stored and served is only the
 * picture: EXIF (camera, GPS, time), XMP, IPTC, comments, ICC profiles (converted to sRGB) and any
 * ancillary chunk (a 9.5 MiB padding chunk in a 16×16 PNG) are gone. EXIF orientation is applied
 * to the pixels, so the image still shows upright. PNG is re-encoded losslessly, JPEG and WebP at
 * quality 90, GIF with its frames. The decoder has the pixel cap, `failOn: 'error'` and a time
 * limit (`timeoutS`, default {@link IMAGE_JOB_TIMEOUT_S}; whole seconds, libvips' granularity).
 *
 * @throws ImageRejectedError `CORRUPT` (cannot be decoded, or took too long), `TOO_MANY_PIXELS`.
 */
export async function sanitizeOriginal(buffer: Uint8Array, info: ImageInfo, limits: Partial<ImageLimits> = {}, timeoutS: number = IMAGE_JOB_TIMEOUT_S): Promise<SanitizedOriginal> {
  const caps = resolveImageLimits(limits);
  checkJobTimeout(timeoutS);
  const animated = info.format === 'gif' || info.format === 'webp';
  let pipeline = sharp(buffer, { limitInputPixels: caps.maxPixels, failOn: 'error', animated }).rotate().timeout({ seconds: timeoutS });
  switch (info.format) {
    case 'png':
      pipeline = pipeline.png({ compressionLevel: 6 });
      break;
    case 'jpeg':
      pipeline = pipeline.jpeg({ quality: 90, mozjpeg: false });
      break;
    case 'webp':
      pipeline = pipeline.webp({ quality: 90 });
      break;
    default:
      pipeline = pipeline.gif();
  }
  try {
    const { data, info: out } = await pipeline.toBuffer({ resolveWithObject: true });
    return { data, contentType: info.contentType, width: out.width, height: out.pageHeight ?? out.height };
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0].trim().slice(0, 200);
    const accepted = acceptedImagesText(caps);
    if (/pixel limit/i.test(reason)) throw new ImageRejectedError('TOO_MANY_PIXELS', `The image is over the ${formatPixels(caps.maxPixels)} limit. ${accepted}`, { cause: error });
    const what = /timeout/i.test(reason) ? `took longer than ${timeoutS} s to process` : `could not be decoded (${reason}); it may be damaged`;
    throw new ImageRejectedError('CORRUPT', `The ${IMAGE_FORMAT_NAMES[info.format] ?? 'uploaded'} image ${what}. Re-export it and upload again. ${accepted}`, { cause: error });
  }
}

/**
 * Checks an image job time limit: whole seconds from 1 to 3600 (sharp's `timeout` accepts whole
 * seconds, and 0 would mean no limit at all).
 * @throws RangeError naming the bad value.
 */
export function checkJobTimeout(timeoutS: number): void {
  if (!Number.isInteger(timeoutS) || timeoutS < 1 || timeoutS > 3600) throw new RangeError(`image job time limit must be whole seconds from 1 to 3600, got ${String(timeoutS)}`);
}
