// Original file: libs/contracts/src/proto/failsoft/likes/v1/likes.proto


export interface LikeRequest {
  'userId'?: (string);
  'postId'?: (string);
}

export interface LikeRequest__Output {
  'userId': (string);
  'postId': (string);
}
