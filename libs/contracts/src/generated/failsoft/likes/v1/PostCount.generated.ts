// Original file: libs/contracts/src/proto/failsoft/likes/v1/likes.proto

import type { Long } from '@grpc/proto-loader';

export interface PostCount {
  'postId'?: (string);
  'count'?: (number | string | Long);
  /**
   * Set only when CountsRequest.viewer_id was set.
   */
  'likedByViewer'?: (boolean);
  '_likedByViewer'?: "likedByViewer";
}

export interface PostCount__Output {
  'postId': (string);
  'count': (string);
  /**
   * Set only when CountsRequest.viewer_id was set.
   */
  'likedByViewer'?: (boolean);
  '_likedByViewer'?: "likedByViewer";
}
