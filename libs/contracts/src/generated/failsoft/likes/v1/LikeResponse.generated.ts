// Original file: libs/contracts/src/proto/failsoft/likes/v1/likes.proto

import type { Long } from '@grpc/proto-loader';

/**
 * The state after a Like or Unlike.
 */
export interface LikeResponse {
  'postId'?: (string);
  /**
   * Number of users liking the post after this call.
   */
  'count'?: (number | string | Long);
  /**
   * Whether the user likes the post after this call.
   */
  'liked'?: (boolean);
}

/**
 * The state after a Like or Unlike.
 */
export interface LikeResponse__Output {
  'postId': (string);
  /**
   * Number of users liking the post after this call.
   */
  'count': (string);
  /**
   * Whether the user likes the post after this call.
   */
  'liked': (boolean);
}
