// Original file: libs/contracts/src/proto/failsoft/upload/v1/upload.proto

import type { Post as _failsoft_upload_v1_Post, Post__Output as _failsoft_upload_v1_Post__Output } from '../../../failsoft/upload/v1/Post.generated';

export interface CreatePostResponse {
  /**
   * The created post (or the one created earlier with the same idempotency key).
   */
  'post'?: (_failsoft_upload_v1_Post | null);
  /**
   * True when the idempotency key had already created this post and nothing new
   * was created by this call.
   */
  'replayed'?: (boolean);
}

export interface CreatePostResponse__Output {
  /**
   * The created post (or the one created earlier with the same idempotency key).
   */
  'post': (_failsoft_upload_v1_Post__Output | null);
  /**
   * True when the idempotency key had already created this post and nothing new
   * was created by this call.
   */
  'replayed': (boolean);
}
