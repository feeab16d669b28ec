// Original file: libs/contracts/src/proto/failsoft/likes/v1/likes.proto

import type { PostCount as _failsoft_likes_v1_PostCount, PostCount__Output as _failsoft_likes_v1_PostCount__Output } from '../../../failsoft/likes/v1/PostCount.generated';

export interface CountsResponse {
  /**
   * One entry per distinct requested post id, in request order. Posts nobody
   * likes (or unknown to the likes service) have count 0.
   */
  'counts'?: (_failsoft_likes_v1_PostCount)[];
}

export interface CountsResponse__Output {
  /**
   * One entry per distinct requested post id, in request order. Posts nobody
   * likes (or unknown to the likes service) have count 0.
   */
  'counts': (_failsoft_likes_v1_PostCount__Output)[];
}
