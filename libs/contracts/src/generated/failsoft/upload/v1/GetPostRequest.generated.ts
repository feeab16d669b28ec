// Original file: libs/contracts/src/proto/failsoft/upload/v1/upload.proto


export interface GetPostRequest {
  'postId'?: (string);
}

export interface GetPostRequest__Output {
  'postId': (string);
}
