// Original file: libs/contracts/src/proto/failsoft/upload/v1/upload.proto

import type { ImageHeader as _failsoft_upload_v1_ImageHeader, ImageHeader__Output as _failsoft_upload_v1_ImageHeader__Output } from '../../../failsoft/upload/v1/ImageHeader.generated';

/**
 * One message of StreamImage: the header first, then data chunks.
 */
export interface ImageChunk {
  'header'?: (_failsoft_upload_v1_ImageHeader | null);
  /**
   * At most 64 KiB of the bytes, in order.
   */
  'data'?: (Buffer | Uint8Array | string);
  'part'?: "header"|"data";
}

/**
 * One message of StreamImage: the header first, then data chunks.
 */
export interface ImageChunk__Output {
  'header'?: (_failsoft_upload_v1_ImageHeader__Output | null);
  /**
   * At most 64 KiB of the bytes, in order.
   */
  'data'?: (Buffer);
  'part'?: "header"|"data";
}
