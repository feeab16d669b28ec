// Original file: libs/contracts/src/proto/failsoft/likes/v1/likes.proto


export interface UnlikeRequest {
  'userId'?: (string);
  'postId'?: (string);
  /**
   * Optional: the client's key for this operation (the HTTP Idempotency-Key). A second call
   * with the same user and key is answered without writing again, so a copy of an old request
   * delivered late (after the client resent it and moved on) cannot undo a newer write.
   * Empty: none. A key used before for another operation is INVALID_ARGUMENT.
   */
  'idempotencyKey'?: (string);
}

export interface UnlikeRequest__Output {
  'userId': (string);
  'postId': (string);
  /**
   * Optional: the client's key for this operation (the HTTP Idempotency-Key). A second call
   * with the same user and key is answered without writing again, so a copy of an old request
   * delivered late (after the client resent it and moved on) cannot undo a newer write.
   * Empty: none. A key used before for another operation is INVALID_ARGUMENT.
   */
  'idempotencyKey': (string);
}
