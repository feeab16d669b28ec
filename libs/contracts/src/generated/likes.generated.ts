import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { CountsRequest as _failsoft_likes_v1_CountsRequest, CountsRequest__Output as _failsoft_likes_v1_CountsRequest__Output } from './failsoft/likes/v1/CountsRequest.generated';
import type { CountsResponse as _failsoft_likes_v1_CountsResponse, CountsResponse__Output as _failsoft_likes_v1_CountsResponse__Output } from './failsoft/likes/v1/CountsResponse.generated';
import type { LikeRequest as _failsoft_likes_v1_LikeRequest, LikeRequest__Output as _failsoft_likes_v1_LikeRequest__Output } from './failsoft/likes/v1/LikeRequest.generated';
import type { LikeResponse as _failsoft_likes_v1_LikeResponse, LikeResponse__Output as _failsoft_likes_v1_LikeResponse__Output } from './failsoft/likes/v1/LikeResponse.generated';
import type { LikesServiceClient as _failsoft_likes_v1_LikesServiceClient, LikesServiceDefinition as _failsoft_likes_v1_LikesServiceDefinition } from './failsoft/likes/v1/LikesService.generated';
import type { PostCount as _failsoft_likes_v1_PostCount, PostCount__Output as _failsoft_likes_v1_PostCount__Output } from './failsoft/likes/v1/PostCount.generated';
import type { UnlikeRequest as _failsoft_likes_v1_UnlikeRequest, UnlikeRequest__Output as _failsoft_likes_v1_UnlikeRequest__Output } from './failsoft/likes/v1/UnlikeRequest.generated';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  failsoft: {
    likes: {
      v1: {
        CountsRequest: MessageTypeDefinition<_failsoft_likes_v1_CountsRequest, _failsoft_likes_v1_CountsRequest__Output>
        CountsResponse: MessageTypeDefinition<_failsoft_likes_v1_CountsResponse, _failsoft_likes_v1_CountsResponse__Output>
        LikeRequest: MessageTypeDefinition<_failsoft_likes_v1_LikeRequest, _failsoft_likes_v1_LikeRequest__Output>
        LikeResponse: MessageTypeDefinition<_failsoft_likes_v1_LikeResponse, _failsoft_likes_v1_LikeResponse__Output>
        /**
         * Likes of posts by users, and like counts.
         * 
         * Like and Unlike are idempotent per (user_id, post_id), even under concurrent
         * duplicates, so they may be retried freely. They are acknowledged only after the
         * write is durable (confirmed by a replica), so a failover loses no acknowledged
         * like. Status codes: INVALID_ARGUMENT for empty or malformed ids or an oversized
         * batch, UNAVAILABLE when state is unreachable (retryable).
         */
        LikesService: SubtypeConstructor<typeof grpc.Client, _failsoft_likes_v1_LikesServiceClient> & { service: _failsoft_likes_v1_LikesServiceDefinition }
        PostCount: MessageTypeDefinition<_failsoft_likes_v1_PostCount, _failsoft_likes_v1_PostCount__Output>
        UnlikeRequest: MessageTypeDefinition<_failsoft_likes_v1_UnlikeRequest, _failsoft_likes_v1_UnlikeRequest__Output>
      }
    }
  }
}

