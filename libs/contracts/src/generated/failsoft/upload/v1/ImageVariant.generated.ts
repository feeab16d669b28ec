// Original file: libs/contracts/src/proto/failsoft/upload/v1/upload.proto

/**
 * Which stored rendition of a post's image to return.
 */
export const ImageVariant = {
  /**
   * The uploaded image, byte for byte. Also the default when unset.
   */
  ORIGINAL: 'ORIGINAL',
  /**
   * The thumbnail made at upload time (longest edge bounded, WebP or JPEG).
   */
  THUMBNAIL: 'THUMBNAIL',
} as const;

/**
 * Which stored rendition of a post's image to return.
 */
export type ImageVariant =
  /**
   * The uploaded image, byte for byte. Also the default when unset.
   */
  | 'ORIGINAL'
  | 0
  /**
   * The thumbnail made at upload time (longest edge bounded, WebP or JPEG).
   */
  | 'THUMBNAIL'
  | 1

/**
 * Which stored rendition of a post's image to return.
 */
export type ImageVariant__Output = typeof ImageVariant[keyof typeof ImageVariant]
