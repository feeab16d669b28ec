// Original file: libs/contracts/src/proto/failsoft/feed/v1/feed.proto


export interface GetFeedRequest {
  /**
   * Opaque cursor from a previous GetFeedResponse.next_cursor; empty for the first
   * (newest) page.
   */
  'cursor'?: (string);
  /**
   * Page size: 0 means the default (20); at most 100.
   */
  'limit'?: (number);
  /**
   * Optional: the signed-in user, to fill FeedItem.liked_by_viewer.
   */
  'viewerId'?: (string);
}

export interface GetFeedRequest__Output {
  /**
   * Opaque cursor from a previous GetFeedResponse.next_cursor; empty for the first
   * (newest) page.
   */
  'cursor': (string);
  /**
   * Page size: 0 means the default (20); at most 100.
   */
  'limit': (number);
  /**
   * Optional: the signed-in user, to fill FeedItem.liked_by_viewer.
   */
  'viewerId': (string);
}
