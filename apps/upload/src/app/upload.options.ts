import { availableParallelism } from 'node:os';
import { concurrencyForMemory } from '@failsoft/sidecar';
import { DEFAULT_IMAGE_LIMITS, DEFAULT_THUMBNAIL_EDGE, IMAGE_JOB_TIMEOUT_S, type ImageLimits, type ThumbnailFormat } from './image';

/** Injection token of the {@link UploadOptions}. */
export const UPLOAD_OPTIONS = Symbol('failsoft:upload-options');

/** Tunables of the upload service (defaults in {@link defaultUploadOptions}). */
export interface UploadOptions {
  /** Byte and pixel caps of uploaded images (default 10 MiB, 40 megapixels). */
  readonly imageLimits: ImageLimits;
  /** Longest edge of thumbnails in pixels (default 320). */
  readonly thumbnailEdge: number;
  /** Thumbnail format (default `webp`). */
  readonly thumbnailFormat: ThumbnailFormat;
  /** Images decoded at once at most (default: the number of CPUs, at most 4); more wait their turn. */
  readonly maxConcurrentImageJobs: number;
  /** Posts one author may store (default 1000; USER_MAX_POSTS). */
  readonly maxPostsPerUser: number;
  /** Bytes of images (original + thumbnail) one author may store (default 200 MiB; USER_MAX_BYTES). */
  readonly maxBytesPerUser: number;
  /** Longest one image job (thumbnail, re-encoding) may take, whole seconds (default 10; IMAGE_JOB_TIMEOUT_S): beyond, the upload is refused `CORRUPT`. */
  readonly imageJobTimeoutS: number;
  /** Images waiting to be decoded at most (default 32); more are refused at once (RESOURCE_EXHAUSTED), as are those whose call ended while they waited. */
  readonly maxQueuedImageJobs: number;
  /**
   * gRPC calls served at once at most; more are shed with RESOURCE_EXHAUSTED (default: what the
   * memory limit holds, see {@link maxConcurrentCallsFor}; 64 without a known limit).
   */
  readonly maxConcurrentCalls: number;
}

/** Most calls served at once, and the default when the memory limit is unknown. */
export const MAX_CONCURRENT_CALLS = 64;
/**
 * Memory the upload service keeps apart from the calls' images: Node's heap and code, and libvips'
 * working memory for the image jobs (at most 4 decodes at once, `maxConcurrentImageJobs`).
 */
export const UPLOAD_RESERVED_BYTES = 192 * 1024 * 1024;
/** Copies of an image one CreatePost holds at its peak: the gRPC message, the decoded request, the Redis write. */
export const IMAGE_COPIES_PER_CALL = 3;

/**
 * The gRPC calls the upload service serves at once within its container's memory limit:
 * `floor((limit x 0.75 - 192 MiB) / (3 x maxImageBytes))`, from 1 to 64 (64 without a known
 * limit). With deploy/k8s's 768 Mi limit and 10 MiB images: floor((576 - 192) / 30) = 12.
 */
export function maxConcurrentCallsFor(memoryLimitBytes: number | undefined, maxImageBytes: number = DEFAULT_IMAGE_LIMITS.maxBytes): number {
  return concurrencyForMemory({ limitBytes: memoryLimitBytes, reservedBytes: UPLOAD_RESERVED_BYTES, perTaskBytes: IMAGE_COPIES_PER_CALL * maxImageBytes, max: MAX_CONCURRENT_CALLS });
}

/** The default options, with `overrides` applied. */
export function defaultUploadOptions(overrides: Partial<UploadOptions> = {}): UploadOptions {
  return {
    imageLimits: DEFAULT_IMAGE_LIMITS,
    thumbnailEdge: DEFAULT_THUMBNAIL_EDGE,
    thumbnailFormat: 'webp',
    maxConcurrentImageJobs: Math.max(1, Math.min(4, availableParallelism())),
    maxQueuedImageJobs: 32,
    imageJobTimeoutS: IMAGE_JOB_TIMEOUT_S,
    maxPostsPerUser: 1000,
    maxBytesPerUser: 200 * 1024 * 1024,
    maxConcurrentCalls: maxConcurrentCallsFor(undefined, overrides.imageLimits?.maxBytes),
    ...overrides,
  };
}
