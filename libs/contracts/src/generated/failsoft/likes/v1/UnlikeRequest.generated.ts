// Original file: libs/contracts/src/proto/failsoft/likes/v1/likes.proto


export interface UnlikeRequest {
  'userId'?: (string);
  'postId'?: (string);
}

export interface UnlikeRequest__Output {
  'userId': (string);
  'postId': (string);
}
