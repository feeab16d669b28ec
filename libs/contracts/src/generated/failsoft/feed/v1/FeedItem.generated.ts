// Original file: libs/contracts/src/proto/failsoft/feed/v1/feed.proto

import type { Post as _failsoft_upload_v1_Post, Post__Output as _failsoft_upload_v1_Post__Output } from '../../../failsoft/upload/v1/Post.generated';
import type { Long } from '@grpc/proto-loader';

export interface FeedItem {
  'post'?: (_failsoft_upload_v1_Post | null);
  /**
   * Like count; absent when no count is known at all (likes unreachable and never
   * seen for this post).
   */
  'likeCount'?: (number | string | Long);
  /**
   * True when like_count is a last-seen value rather than a fresh one.
   */
  'likeCountStale'?: (boolean);
  /**
   * Whether the viewer likes the post; absent without a viewer_id or when unknown.
   */
  'likedByViewer'?: (boolean);
  '_likeCount'?: "likeCount";
  '_likedByViewer'?: "likedByViewer";
}

export interface FeedItem__Output {
  'post': (_failsoft_upload_v1_Post__Output | null);
  /**
   * Like count; absent when no count is known at all (likes unreachable and never
   * seen for this post).
   */
  'likeCount'?: (string);
  /**
   * True when like_count is a last-seen value rather than a fresh one.
   */
  'likeCountStale': (boolean);
  /**
   * Whether the viewer likes the post; absent without a viewer_id or when unknown.
   */
  'likedByViewer'?: (boolean);
  '_likeCount'?: "likeCount";
  '_likedByViewer'?: "likedByViewer";
}
