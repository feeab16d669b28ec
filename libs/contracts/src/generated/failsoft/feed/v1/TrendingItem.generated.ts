// Original file: libs/contracts/src/proto/failsoft/feed/v1/feed.proto

import type { Post as _failsoft_upload_v1_Post, Post__Output as _failsoft_upload_v1_Post__Output } from '../../../failsoft/upload/v1/Post.generated';
import type { Long } from '@grpc/proto-loader';

export interface TrendingItem {
  'post'?: (_failsoft_upload_v1_Post | null);
  /**
   * Like count when the job last ran.
   */
  'likeCount'?: (number | string | Long);
  /**
   * Trending score (higher is hotter); only the order is meaningful.
   */
  'score'?: (number | string);
}

export interface TrendingItem__Output {
  'post': (_failsoft_upload_v1_Post__Output | null);
  /**
   * Like count when the job last ran.
   */
  'likeCount': (string);
  /**
   * Trending score (higher is hotter); only the order is meaningful.
   */
  'score': (number);
}
