import type { ClientMethodsOf, HandlersOf } from './typed-service';
// Friendly names for the generated `failsoft.feed.v1` types (see README: input vs output flavours).
import type { GetFeedRequest as GenGetFeedRequest, GetFeedRequest__Output as GenGetFeedRequestOutput } from '../generated/failsoft/feed/v1/GetFeedRequest.generated';
import type { GetFeedResponse as GenGetFeedResponse, GetFeedResponse__Output as GenGetFeedResponseOutput } from '../generated/failsoft/feed/v1/GetFeedResponse.generated';
import type { FeedItem as GenFeedItem, FeedItem__Output as GenFeedItemOutput } from '../generated/failsoft/feed/v1/FeedItem.generated';
import type { GetTrendingRequest as GenGetTrendingRequest, GetTrendingRequest__Output as GenGetTrendingRequestOutput } from '../generated/failsoft/feed/v1/GetTrendingRequest.generated';
import type { GetTrendingResponse as GenGetTrendingResponse, GetTrendingResponse__Output as GenGetTrendingResponseOutput } from '../generated/failsoft/feed/v1/GetTrendingResponse.generated';
import type { TrendingItem as GenTrendingItem, TrendingItem__Output as GenTrendingItemOutput } from '../generated/failsoft/feed/v1/TrendingItem.generated';
import type { FeedServiceClient as GenFeedServiceClient, FeedServiceHandlers as GenFeedServiceHandlers, FeedServiceDefinition as GenFeedServiceDefinition } from '../generated/failsoft/feed/v1/FeedService.generated';

/** FeedService.GetFeed request — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type GetFeedRequest = GenGetFeedRequest;
/** FeedService.GetFeed request — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type GetFeedRequestOutput = GenGetFeedRequestOutput;
/** FeedService.GetFeed response: one page, newest first — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type GetFeedResponse = GenGetFeedResponse;
/** FeedService.GetFeed response: one page, newest first — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type GetFeedResponseOutput = GenGetFeedResponseOutput;
/** One timeline entry: a post with its (possibly stale or absent) like count — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type FeedItem = GenFeedItem;
/** One timeline entry: a post with its (possibly stale or absent) like count — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type FeedItemOutput = GenFeedItemOutput;
/** FeedService.GetTrending request — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type GetTrendingRequest = GenGetTrendingRequest;
/** FeedService.GetTrending request — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type GetTrendingRequestOutput = GenGetTrendingRequestOutput;
/** FeedService.GetTrending response, with the leader and its fencing token — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type GetTrendingResponse = GenGetTrendingResponse;
/** FeedService.GetTrending response, with the leader and its fencing token — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type GetTrendingResponseOutput = GenGetTrendingResponseOutput;
/** One trending entry: a post, its like count and score — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type TrendingItem = GenTrendingItem;
/** One trending entry: a post, its like count and score — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type TrendingItemOutput = GenTrendingItemOutput;
/** Typed client of `failsoft.feed.v1.FeedService` (as made by `grpc.makeGenericClientConstructor`). */
export type FeedServiceClient = GenFeedServiceClient;
/** grpc-js callback-style handlers of `failsoft.feed.v1.FeedService` (for a plain `grpc.Server`). */
export type FeedServiceGrpcHandlers = GenFeedServiceHandlers;
/** Promise-based handlers of `failsoft.feed.v1.FeedService` for the sidecar's server: `implements FeedServiceHandlers<HandlerContext>`. */
export type FeedServiceHandlers<Ctx> = HandlersOf<GenFeedServiceDefinition, Ctx>;
/** Client view of `failsoft.feed.v1.FeedService` (`[request, response]` per method) for `TypedClient<FeedMethods>`. */
export type FeedMethods = ClientMethodsOf<GenFeedServiceDefinition>;
/** Typed `grpc.ServiceDefinition` of `failsoft.feed.v1.FeedService`. */
export type FeedServiceDefinition = GenFeedServiceDefinition;
