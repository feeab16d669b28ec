// Original file: libs/contracts/src/proto/failsoft/upload/v1/upload.proto


export interface CreatePostRequest {
  /**
   * User id of the author (set by the gateway from the signed-in user).
   */
  'author'?: (string);
  /**
   * Caption text.
   */
  'caption'?: (string);
  /**
   * The image file's bytes. The type is detected from these bytes, never from a
   * file name or the hint below.
   */
  'image'?: (Buffer | Uint8Array | string);
  /**
   * MIME type the client claimed (e.g. from multipart headers). Informational only;
   * may be empty.
   */
  'contentTypeHint'?: (string);
  /**
   * Client-chosen key (1-200 printable characters). Calls with the same key and
   * author create at most one post; a replay returns that post.
   */
  'idempotencyKey'?: (string);
}

export interface CreatePostRequest__Output {
  /**
   * User id of the author (set by the gateway from the signed-in user).
   */
  'author': (string);
  /**
   * Caption text.
   */
  'caption': (string);
  /**
   * The image file's bytes. The type is detected from these bytes, never from a
   * file name or the hint below.
   */
  'image': (Buffer);
  /**
   * MIME type the client claimed (e.g. from multipart headers). Informational only;
   * may be empty.
   */
  'contentTypeHint': (string);
  /**
   * Client-chosen key (1-200 printable characters). Calls with the same key and
   * author create at most one post; a replay returns that post.
   */
  'idempotencyKey': (string);
}
