// Original file: libs/contracts/src/proto/failsoft/upload/v1/upload.proto

import type { ImageVariant as _failsoft_upload_v1_ImageVariant, ImageVariant__Output as _failsoft_upload_v1_ImageVariant__Output } from '../../../failsoft/upload/v1/ImageVariant.generated';

export interface GetImageRequest {
  'postId'?: (string);
  'variant'?: (_failsoft_upload_v1_ImageVariant);
}

export interface GetImageRequest__Output {
  'postId': (string);
  'variant': (_failsoft_upload_v1_ImageVariant__Output);
}
