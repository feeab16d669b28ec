// Original file: libs/contracts/src/proto/failsoft/upload/v1/upload.proto


export interface DeletePostResponse {
  /**
   * The id of the deleted post.
   */
  'postId'?: (string);
}

export interface DeletePostResponse__Output {
  /**
   * The id of the deleted post.
   */
  'postId': (string);
}
