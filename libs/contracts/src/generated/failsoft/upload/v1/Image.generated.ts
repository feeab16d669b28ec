// Original file: libs/contracts/src/proto/failsoft/upload/v1/upload.proto


/**
 * Image bytes with what a client needs to serve them.
 */
export interface Image {
  /**
   * MIME type of data (e.g. image/png, image/webp).
   */
  'contentType'?: (string);
  'data'?: (Buffer | Uint8Array | string);
  /**
   * Pixel size of this rendition.
   */
  'width'?: (number);
  'height'?: (number);
}

/**
 * Image bytes with what a client needs to serve them.
 */
export interface Image__Output {
  /**
   * MIME type of data (e.g. image/png, image/webp).
   */
  'contentType': (string);
  'data': (Buffer);
  /**
   * Pixel size of this rendition.
   */
  'width': (number);
  'height': (number);
}
