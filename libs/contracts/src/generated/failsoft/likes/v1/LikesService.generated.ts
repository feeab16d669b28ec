// Original file: libs/contracts/src/proto/failsoft/likes/v1/likes.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CountsRequest as _failsoft_likes_v1_CountsRequest, CountsRequest__Output as _failsoft_likes_v1_CountsRequest__Output } from '../../../failsoft/likes/v1/CountsRequest.generated';
import type { CountsResponse as _failsoft_likes_v1_CountsResponse, CountsResponse__Output as _failsoft_likes_v1_CountsResponse__Output } from '../../../failsoft/likes/v1/CountsResponse.generated';
import type { LikeRequest as _failsoft_likes_v1_LikeRequest, LikeRequest__Output as _failsoft_likes_v1_LikeRequest__Output } from '../../../failsoft/likes/v1/LikeRequest.generated';
import type { LikeResponse as _failsoft_likes_v1_LikeResponse, LikeResponse__Output as _failsoft_likes_v1_LikeResponse__Output } from '../../../failsoft/likes/v1/LikeResponse.generated';
import type { UnlikeRequest as _failsoft_likes_v1_UnlikeRequest, UnlikeRequest__Output as _failsoft_likes_v1_UnlikeRequest__Output } from '../../../failsoft/likes/v1/UnlikeRequest.generated';

/**
 * Likes of posts by users, and like counts.
 * 
 * Like and Unlike are idempotent per (user_id, post_id), even under concurrent
 * duplicates, so they may be retried freely. They are acknowledged only after the
 * write is durable (confirmed by a replica), so a failover loses no acknowledged
 * like. Status codes: INVALID_ARGUMENT for empty or malformed ids or an oversized
 * batch, UNAVAILABLE when state is unreachable (retryable).
 */
export interface LikesServiceClient extends grpc.Client {
  /**
   * Like counts for a batch of posts. Idempotent and read-only.
   */
  Counts(argument: _failsoft_likes_v1_CountsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_likes_v1_CountsResponse__Output>): grpc.ClientUnaryCall;
  Counts(argument: _failsoft_likes_v1_CountsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_failsoft_likes_v1_CountsResponse__Output>): grpc.ClientUnaryCall;
  Counts(argument: _failsoft_likes_v1_CountsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_likes_v1_CountsResponse__Output>): grpc.ClientUnaryCall;
  Counts(argument: _failsoft_likes_v1_CountsRequest, callback: grpc.requestCallback<_failsoft_likes_v1_CountsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Like counts for a batch of posts. Idempotent and read-only.
   */
  counts(argument: _failsoft_likes_v1_CountsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_likes_v1_CountsResponse__Output>): grpc.ClientUnaryCall;
  counts(argument: _failsoft_likes_v1_CountsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_failsoft_likes_v1_CountsResponse__Output>): grpc.ClientUnaryCall;
  counts(argument: _failsoft_likes_v1_CountsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_likes_v1_CountsResponse__Output>): grpc.ClientUnaryCall;
  counts(argument: _failsoft_likes_v1_CountsRequest, callback: grpc.requestCallback<_failsoft_likes_v1_CountsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Makes user_id like post_id (no-op when it already does).
   */
  Like(argument: _failsoft_likes_v1_LikeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_likes_v1_LikeResponse__Output>): grpc.ClientUnaryCall;
  Like(argument: _failsoft_likes_v1_LikeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_failsoft_likes_v1_LikeResponse__Output>): grpc.ClientUnaryCall;
  Like(argument: _failsoft_likes_v1_LikeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_likes_v1_LikeResponse__Output>): grpc.ClientUnaryCall;
  Like(argument: _failsoft_likes_v1_LikeRequest, callback: grpc.requestCallback<_failsoft_likes_v1_LikeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Makes user_id like post_id (no-op when it already does).
   */
  like(argument: _failsoft_likes_v1_LikeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_likes_v1_LikeResponse__Output>): grpc.ClientUnaryCall;
  like(argument: _failsoft_likes_v1_LikeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_failsoft_likes_v1_LikeResponse__Output>): grpc.ClientUnaryCall;
  like(argument: _failsoft_likes_v1_LikeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_likes_v1_LikeResponse__Output>): grpc.ClientUnaryCall;
  like(argument: _failsoft_likes_v1_LikeRequest, callback: grpc.requestCallback<_failsoft_likes_v1_LikeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Makes user_id not like post_id (no-op when it does not).
   */
  Unlike(argument: _failsoft_likes_v1_UnlikeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_likes_v1_LikeResponse__Output>): grpc.ClientUnaryCall;
  Unlike(argument: _failsoft_likes_v1_UnlikeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_failsoft_likes_v1_LikeResponse__Output>): grpc.ClientUnaryCall;
  Unlike(argument: _failsoft_likes_v1_UnlikeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_likes_v1_LikeResponse__Output>): grpc.ClientUnaryCall;
  Unlike(argument: _failsoft_likes_v1_UnlikeRequest, callback: grpc.requestCallback<_failsoft_likes_v1_LikeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Makes user_id not like post_id (no-op when it does not).
   */
  unlike(argument: _failsoft_likes_v1_UnlikeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_likes_v1_LikeResponse__Output>): grpc.ClientUnaryCall;
  unlike(argument: _failsoft_likes_v1_UnlikeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_failsoft_likes_v1_LikeResponse__Output>): grpc.ClientUnaryCall;
  unlike(argument: _failsoft_likes_v1_UnlikeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_likes_v1_LikeResponse__Output>): grpc.ClientUnaryCall;
  unlike(argument: _failsoft_likes_v1_UnlikeRequest, callback: grpc.requestCallback<_failsoft_likes_v1_LikeResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Likes of posts by users, and like counts.
 * 
 * Like and Unlike are idempotent per (user_id, post_id), even under concurrent
 * duplicates, so they may be retried freely. They are acknowledged only after the
 * write is durable (confirmed by a replica), so a failover loses no acknowledged
 * like. Status codes: INVALID_ARGUMENT for empty or malformed ids or an oversized
 * batch, UNAVAILABLE when state is unreachable (retryable).
 */
export interface LikesServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Like counts for a batch of posts. Idempotent and read-only.
   */
  Counts: grpc.handleUnaryCall<_failsoft_likes_v1_CountsRequest__Output, _failsoft_likes_v1_CountsResponse>;
  
  /**
   * Makes user_id like post_id (no-op when it already does).
   */
  Like: grpc.handleUnaryCall<_failsoft_likes_v1_LikeRequest__Output, _failsoft_likes_v1_LikeResponse>;
  
  /**
   * Makes user_id not like post_id (no-op when it does not).
   */
  Unlike: grpc.handleUnaryCall<_failsoft_likes_v1_UnlikeRequest__Output, _failsoft_likes_v1_LikeResponse>;
  
}

export interface LikesServiceDefinition extends grpc.ServiceDefinition {
  Counts: MethodDefinition<_failsoft_likes_v1_CountsRequest, _failsoft_likes_v1_CountsResponse, _failsoft_likes_v1_CountsRequest__Output, _failsoft_likes_v1_CountsResponse__Output>
  Like: MethodDefinition<_failsoft_likes_v1_LikeRequest, _failsoft_likes_v1_LikeResponse, _failsoft_likes_v1_LikeRequest__Output, _failsoft_likes_v1_LikeResponse__Output>
  Unlike: MethodDefinition<_failsoft_likes_v1_UnlikeRequest, _failsoft_likes_v1_LikeResponse, _failsoft_likes_v1_UnlikeRequest__Output, _failsoft_likes_v1_LikeResponse__Output>
}
