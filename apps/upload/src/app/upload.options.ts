import { availableParallelism } from 'node:os';
import { DEFAULT_IMAGE_LIMITS, DEFAULT_THUMBNAIL_EDGE, type ImageLimits, type ThumbnailFormat } from './image';

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
  /** gRPC calls served at once at most; more are shed with RESOURCE_EXHAUSTED (default 64: each may hold a 10 MiB image). */
  readonly maxConcurrentCalls: number;
}

/** The default options, with `overrides` applied. */
export function defaultUploadOptions(overrides: Partial<UploadOptions> = {}): UploadOptions {
  return {
    imageLimits: DEFAULT_IMAGE_LIMITS,
    thumbnailEdge: DEFAULT_THUMBNAIL_EDGE,
    thumbnailFormat: 'webp',
    maxConcurrentImageJobs: Math.max(1, Math.min(4, availableParallelism())),
    maxConcurrentCalls: 64,
    ...overrides,
  };
}
