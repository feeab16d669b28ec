/** Caps applied to uploaded images. */
export interface ImageLimits {
  /** Largest accepted file, in bytes. */
  readonly maxBytes: number;
  /** Largest accepted width × height (guards against decompression bombs). */
  readonly maxPixels: number;
}

/** Default caps: 10 MiB and 40 megapixels. */
export const DEFAULT_IMAGE_LIMITS: ImageLimits = Object.freeze({
  maxBytes: 10 * 1024 * 1024,
  maxPixels: 40_000_000,
});

/**
 * Fills unset caps with DEFAULT_IMAGE_LIMITS and checks them; throws a RangeError naming the bad
 * cap when one is not a positive safe integer (a configuration error, not a bad upload).
 */
export function resolveImageLimits(limits: Partial<ImageLimits> = {}): ImageLimits {
  const resolved = { ...DEFAULT_IMAGE_LIMITS, ...stripUndefined(limits) };
  for (const key of ['maxBytes', 'maxPixels'] as const) {
    const value = resolved[key];
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`image limits: ${key} must be a positive integer, got ${String(value)}`);
    }
  }
  return resolved;
}

/** Copy of `value` without its undefined properties (so they do not override defaults). */
function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** `bytes` for people: `512 bytes`, `12 KiB`, `10 MiB`, `10.5 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KiB'] : [bytes / (1024 * 1024), 'MiB'];
  return `${Number(value.toFixed(1))} ${unit}`;
}

/** A pixel count for people: `850 pixels`, `40 megapixels`, `10000 megapixels`. */
export function formatPixels(pixels: number): string {
  return pixels < 1_000_000 ? `${pixels} pixels` : `${Number((pixels / 1_000_000).toFixed(1))} megapixels`;
}

/** The sentence telling an uploader what is accepted under `limits`. */
export function acceptedImagesText(limits: ImageLimits): string {
  return `Accepted: JPEG, PNG, WebP or GIF images up to ${formatBytes(limits.maxBytes)} and ${formatPixels(limits.maxPixels)}.`;
}
