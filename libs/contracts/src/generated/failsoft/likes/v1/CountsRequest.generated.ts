// Original file: libs/contracts/src/proto/failsoft/likes/v1/likes.proto


export interface CountsRequest {
  /**
   * Posts to count (at most 500; duplicates are answered once).
   */
  'postIds'?: (string)[];
  /**
   * Optional: when set, each PostCount also says whether this user likes the post.
   */
  'viewerId'?: (string);
}

export interface CountsRequest__Output {
  /**
   * Posts to count (at most 500; duplicates are answered once).
   */
  'postIds': (string)[];
  /**
   * Optional: when set, each PostCount also says whether this user likes the post.
   */
  'viewerId': (string);
}
