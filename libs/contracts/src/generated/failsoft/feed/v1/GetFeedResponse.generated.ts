// Original file: libs/contracts/src/proto/failsoft/feed/v1/feed.proto

import type { FeedItem as _failsoft_feed_v1_FeedItem, FeedItem__Output as _failsoft_feed_v1_FeedItem__Output } from '../../../failsoft/feed/v1/FeedItem.generated';

export interface GetFeedResponse {
  /**
   * Newest first.
   */
  'items'?: (_failsoft_feed_v1_FeedItem)[];
  /**
   * Cursor of the next (older) page; empty when there are no older posts.
   */
  'nextCursor'?: (string);
  /**
   * Dependencies that were unavailable or too slow for this response, e.g. "likes".
   */
  'degraded'?: (string)[];
}

export interface GetFeedResponse__Output {
  /**
   * Newest first.
   */
  'items': (_failsoft_feed_v1_FeedItem__Output)[];
  /**
   * Cursor of the next (older) page; empty when there are no older posts.
   */
  'nextCursor': (string);
  /**
   * Dependencies that were unavailable or too slow for this response, e.g. "likes".
   */
  'degraded': (string)[];
}
