// Original file: libs/contracts/src/proto/failsoft/feed/v1/feed.proto


export interface GetTrendingRequest {
  /**
   * Number of posts: 0 means the default (10); at most 100.
   */
  'limit'?: (number);
}

export interface GetTrendingRequest__Output {
  /**
   * Number of posts: 0 means the default (10); at most 100.
   */
  'limit': (number);
}
