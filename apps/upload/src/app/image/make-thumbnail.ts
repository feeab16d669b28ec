import sharp from 'sharp';
import { ImageRejectedError } from './image-rejected.error';
import { acceptedImagesText, formatPixels, resolveImageLimits, type ImageLimits } from './image-limits';
import { IMAGE_FORMAT_NAMES, type ImageInfo } from './inspect-image.validator';
import { checkJobTimeout, IMAGE_JOB_TIMEOUT_S } from './sanitize-original';

/** Formats a thumbnail can be written in. */
export type ThumbnailFormat = 'webp' | 'jpeg';

/** Options of makeThumbnail. */
export interface ThumbnailOptions {
  /** Longest edge of the thumbnail in pixels (default 320); smaller images are not enlarged. */
  readonly maxEdge?: number;
  /** Output format (default `webp`; `jpeg` flattens transparency onto white). */
  readonly format?: ThumbnailFormat;
  /** Encoder quality 1–100 (default 80). */
  readonly quality?: number;
  /**
   * The caps inspectImage was given (default DEFAULT_IMAGE_LIMITS); `maxPixels` becomes the
   * decoder's `limitInputPixels`.
   */
  readonly limits?: Partial<ImageLimits>;
  /** Longest the job may take, whole seconds (default IMAGE_JOB_TIMEOUT_S, 10); libvips stops it beyond (`CORRUPT`). */
  readonly timeoutS?: number;
}

/** A thumbnail ready to store. */
export interface Thumbnail {
  /** Encoded bytes. */
  readonly data: Buffer;
  /** `image/webp` or `image/jpeg`. */
  readonly contentType: 'image/webp' | 'image/jpeg';
  /** Width in pixels (after EXIF orientation). */
  readonly width: number;
  /** Height in pixels (after EXIF orientation). */
  readonly height: number;
}

/** Default longest edge of thumbnails. */
export const DEFAULT_THUMBNAIL_EDGE = 320;

/**
 * Decodes an image that inspectImage has accepted and writes a thumbnail: first frame only, EXIF
 * orientation applied, fitted inside `maxEdge` × `maxEdge` (never enlarged), metadata stripped.
 * The decoder gets `limitInputPixels` = the pixel cap and `failOn: 'error'`, so it stops on
 * damaged data instead of inventing pixels.
 *
 * Call it only after `inspectImage(buffer, limits)` passed, with the info it returned.
 *
 * @throws ImageRejectedError `CORRUPT` when the image cannot be decoded, `TOO_MANY_PIXELS` when
 *   it is over the pixel cap; RangeError for bad options.
 */
export async function makeThumbnail(buffer: Uint8Array, info: ImageInfo, options: ThumbnailOptions = {}): Promise<Thumbnail> {
  const maxEdge = options.maxEdge ?? DEFAULT_THUMBNAIL_EDGE;
  const quality = options.quality ?? 80;
  const format = options.format ?? 'webp';
  const timeoutS = options.timeoutS ?? IMAGE_JOB_TIMEOUT_S;
  checkJobTimeout(timeoutS);
  const limits = resolveImageLimits(options.limits);
  const accepted = acceptedImagesText(limits);
  if (!Number.isInteger(maxEdge) || maxEdge < 1 || maxEdge > 4096) throw new RangeError(`makeThumbnail: maxEdge must be an integer from 1 to 4096, got ${maxEdge}`);
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new RangeError(`makeThumbnail: quality must be an integer from 1 to 100, got ${quality}`);
  if (format !== 'webp' && format !== 'jpeg') throw new RangeError(`makeThumbnail: format must be 'webp' or 'jpeg', got ${String(format)}`);
  if (info.width * info.height > limits.maxPixels) {
    throw new ImageRejectedError(
      'TOO_MANY_PIXELS',
      `The image has ${info.width}×${info.height} pixels (${formatPixels(info.width * info.height)}), over the ${formatPixels(limits.maxPixels)} limit. ${accepted}`,
    );
  }

  let pipeline = sharp(buffer, { limitInputPixels: limits.maxPixels, failOn: 'error', animated: false })
    .rotate() // apply EXIF orientation
    .resize({ width: maxEdge, height: maxEdge, fit: 'inside', withoutEnlargement: true })
    .timeout({ seconds: timeoutS });
  pipeline = format === 'webp' ? pipeline.webp({ quality }) : pipeline.flatten({ background: '#ffffff' }).jpeg({ quality });
  try {
    const { data, info: out } = await pipeline.toBuffer({ resolveWithObject: true });
    return { data, contentType: format === 'webp' ? 'image/webp' : 'image/jpeg', width: out.width, height: out.height };
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0].trim().slice(0, 200);
    if (/pixel limit/i.test(reason)) {
      throw new ImageRejectedError('TOO_MANY_PIXELS', `The image is over the ${formatPixels(limits.maxPixels)} limit. ${accepted}`, { cause: error });
    }
    const what = /timeout/i.test(reason) ? `took longer than ${timeoutS} s to process` : `could not be decoded (${reason}); it may be damaged`;
    throw new ImageRejectedError(
      'CORRUPT',
      `The ${IMAGE_FORMAT_NAMES[info.format] ?? 'uploaded'} image ${what}. Re-export it and upload again. ${accepted}`,
      { cause: error },
    );
  }
}
