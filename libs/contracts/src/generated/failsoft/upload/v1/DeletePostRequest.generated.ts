// Original file: libs/contracts/src/proto/failsoft/upload/v1/upload.proto


export interface DeletePostRequest {
  'postId'?: (string);
  /**
   * User id of the caller (set by the gateway from the signed-in user); must be the author.
   */
  'author'?: (string);
}

export interface DeletePostRequest__Output {
  'postId': (string);
  /**
   * User id of the caller (set by the gateway from the signed-in user); must be the author.
   */
  'author': (string);
}
