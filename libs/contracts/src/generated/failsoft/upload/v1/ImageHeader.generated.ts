// Original file: libs/contracts/src/proto/failsoft/upload/v1/upload.proto

import type { Long } from '@grpc/proto-loader';

/**
 * The first message of StreamImage: what a client needs before the bytes.
 */
export interface ImageHeader {
  /**
   * MIME type of the bytes (e.g. image/png, image/webp).
   */
  'contentType'?: (string);
  /**
   * Total size of the bytes in the chunks that follow.
   */
  'size'?: (number | string | Long);
  /**
   * Pixel size of this rendition.
   */
  'width'?: (number);
  'height'?: (number);
  /**
   * Opaque validator of these bytes (a post's images never change).
   */
  'etag'?: (string);
}

/**
 * The first message of StreamImage: what a client needs before the bytes.
 */
export interface ImageHeader__Output {
  /**
   * MIME type of the bytes (e.g. image/png, image/webp).
   */
  'contentType': (string);
  /**
   * Total size of the bytes in the chunks that follow.
   */
  'size': (string);
  /**
   * Pixel size of this rendition.
   */
  'width': (number);
  'height': (number);
  /**
   * Opaque validator of these bytes (a post's images never change).
   */
  'etag': (string);
}
