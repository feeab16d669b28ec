// Original file: libs/contracts/src/proto/failsoft/feed/v1/feed.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetFeedRequest as _failsoft_feed_v1_GetFeedRequest, GetFeedRequest__Output as _failsoft_feed_v1_GetFeedRequest__Output } from '../../../failsoft/feed/v1/GetFeedRequest.generated';
import type { GetFeedResponse as _failsoft_feed_v1_GetFeedResponse, GetFeedResponse__Output as _failsoft_feed_v1_GetFeedResponse__Output } from '../../../failsoft/feed/v1/GetFeedResponse.generated';
import type { GetTrendingRequest as _failsoft_feed_v1_GetTrendingRequest, GetTrendingRequest__Output as _failsoft_feed_v1_GetTrendingRequest__Output } from '../../../failsoft/feed/v1/GetTrendingRequest.generated';
import type { GetTrendingResponse as _failsoft_feed_v1_GetTrendingResponse, GetTrendingResponse__Output as _failsoft_feed_v1_GetTrendingResponse__Output } from '../../../failsoft/feed/v1/GetTrendingResponse.generated';

/**
 * The timeline, built from the post stream, enriched with like counts.
 * 
 * Status codes: INVALID_ARGUMENT for a malformed cursor or a limit out of range,
 * UNAVAILABLE when the timeline store is unreachable (retryable). A slow or dead
 * likes service never fails GetFeed: counts fall back to last-seen values marked
 * stale, and "likes" is listed in degraded.
 */
export interface FeedServiceClient extends grpc.Client {
  /**
   * One page of the timeline, newest first. Idempotent and read-only.
   */
  GetFeed(argument: _failsoft_feed_v1_GetFeedRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_feed_v1_GetFeedResponse__Output>): grpc.ClientUnaryCall;
  GetFeed(argument: _failsoft_feed_v1_GetFeedRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_failsoft_feed_v1_GetFeedResponse__Output>): grpc.ClientUnaryCall;
  GetFeed(argument: _failsoft_feed_v1_GetFeedRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_feed_v1_GetFeedResponse__Output>): grpc.ClientUnaryCall;
  GetFeed(argument: _failsoft_feed_v1_GetFeedRequest, callback: grpc.requestCallback<_failsoft_feed_v1_GetFeedResponse__Output>): grpc.ClientUnaryCall;
  /**
   * One page of the timeline, newest first. Idempotent and read-only.
   */
  getFeed(argument: _failsoft_feed_v1_GetFeedRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_feed_v1_GetFeedResponse__Output>): grpc.ClientUnaryCall;
  getFeed(argument: _failsoft_feed_v1_GetFeedRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_failsoft_feed_v1_GetFeedResponse__Output>): grpc.ClientUnaryCall;
  getFeed(argument: _failsoft_feed_v1_GetFeedRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_feed_v1_GetFeedResponse__Output>): grpc.ClientUnaryCall;
  getFeed(argument: _failsoft_feed_v1_GetFeedRequest, callback: grpc.requestCallback<_failsoft_feed_v1_GetFeedResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The latest top posts computed by the singleton trending job. Idempotent and
   * read-only.
   */
  GetTrending(argument: _failsoft_feed_v1_GetTrendingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_feed_v1_GetTrendingResponse__Output>): grpc.ClientUnaryCall;
  GetTrending(argument: _failsoft_feed_v1_GetTrendingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_failsoft_feed_v1_GetTrendingResponse__Output>): grpc.ClientUnaryCall;
  GetTrending(argument: _failsoft_feed_v1_GetTrendingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_feed_v1_GetTrendingResponse__Output>): grpc.ClientUnaryCall;
  GetTrending(argument: _failsoft_feed_v1_GetTrendingRequest, callback: grpc.requestCallback<_failsoft_feed_v1_GetTrendingResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The latest top posts computed by the singleton trending job. Idempotent and
   * read-only.
   */
  getTrending(argument: _failsoft_feed_v1_GetTrendingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_feed_v1_GetTrendingResponse__Output>): grpc.ClientUnaryCall;
  getTrending(argument: _failsoft_feed_v1_GetTrendingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_failsoft_feed_v1_GetTrendingResponse__Output>): grpc.ClientUnaryCall;
  getTrending(argument: _failsoft_feed_v1_GetTrendingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_feed_v1_GetTrendingResponse__Output>): grpc.ClientUnaryCall;
  getTrending(argument: _failsoft_feed_v1_GetTrendingRequest, callback: grpc.requestCallback<_failsoft_feed_v1_GetTrendingResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * The timeline, built from the post stream, enriched with like counts.
 * 
 * Status codes: INVALID_ARGUMENT for a malformed cursor or a limit out of range,
 * UNAVAILABLE when the timeline store is unreachable (retryable). A slow or dead
 * likes service never fails GetFeed: counts fall back to last-seen values marked
 * stale, and "likes" is listed in degraded.
 */
export interface FeedServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * One page of the timeline, newest first. Idempotent and read-only.
   */
  GetFeed: grpc.handleUnaryCall<_failsoft_feed_v1_GetFeedRequest__Output, _failsoft_feed_v1_GetFeedResponse>;
  
  /**
   * The latest top posts computed by the singleton trending job. Idempotent and
   * read-only.
   */
  GetTrending: grpc.handleUnaryCall<_failsoft_feed_v1_GetTrendingRequest__Output, _failsoft_feed_v1_GetTrendingResponse>;
  
}

export interface FeedServiceDefinition extends grpc.ServiceDefinition {
  GetFeed: MethodDefinition<_failsoft_feed_v1_GetFeedRequest, _failsoft_feed_v1_GetFeedResponse, _failsoft_feed_v1_GetFeedRequest__Output, _failsoft_feed_v1_GetFeedResponse__Output>
  GetTrending: MethodDefinition<_failsoft_feed_v1_GetTrendingRequest, _failsoft_feed_v1_GetTrendingResponse, _failsoft_feed_v1_GetTrendingRequest__Output, _failsoft_feed_v1_GetTrendingResponse__Output>
}
