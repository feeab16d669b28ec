// Original file: libs/contracts/src/proto/failsoft/upload/v1/upload.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A post: an image with a caption, as stored by the upload service.
 */
export interface Post {
  /**
   * Unique, opaque post id.
   */
  'id'?: (string);
  /**
   * User id of the author.
   */
  'author'?: (string);
  /**
   * Caption as given by the author (may be empty).
   */
  'caption'?: (string);
  /**
   * Creation time, milliseconds since the Unix epoch (UTC).
   */
  'createdAtMs'?: (number | string | Long);
  /**
   * Pixel size of the original image.
   */
  'width'?: (number);
  'height'?: (number);
  /**
   * MIME type of the original image, detected from its bytes: image/jpeg,
   * image/png, image/webp or image/gif.
   */
  'contentType'?: (string);
  /**
   * Pixel size of the thumbnail.
   */
  'thumbnailWidth'?: (number);
  'thumbnailHeight'?: (number);
}

/**
 * A post: an image with a caption, as stored by the upload service.
 */
export interface Post__Output {
  /**
   * Unique, opaque post id.
   */
  'id': (string);
  /**
   * User id of the author.
   */
  'author': (string);
  /**
   * Caption as given by the author (may be empty).
   */
  'caption': (string);
  /**
   * Creation time, milliseconds since the Unix epoch (UTC).
   */
  'createdAtMs': (string);
  /**
   * Pixel size of the original image.
   */
  'width': (number);
  'height': (number);
  /**
   * MIME type of the original image, detected from its bytes: image/jpeg,
   * image/png, image/webp or image/gif.
   */
  'contentType': (string);
  /**
   * Pixel size of the thumbnail.
   */
  'thumbnailWidth': (number);
  'thumbnailHeight': (number);
}
