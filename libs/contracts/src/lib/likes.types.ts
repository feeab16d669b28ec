import type { ClientMethodsOf, HandlersOf } from './typed-service';
// Friendly names for the generated `failsoft.likes.v1` types (see README: input vs output flavours).
import type { LikeRequest as GenLikeRequest, LikeRequest__Output as GenLikeRequestOutput } from '../generated/failsoft/likes/v1/LikeRequest.generated';
import type { UnlikeRequest as GenUnlikeRequest, UnlikeRequest__Output as GenUnlikeRequestOutput } from '../generated/failsoft/likes/v1/UnlikeRequest.generated';
import type { LikeResponse as GenLikeResponse, LikeResponse__Output as GenLikeResponseOutput } from '../generated/failsoft/likes/v1/LikeResponse.generated';
import type { CountsRequest as GenCountsRequest, CountsRequest__Output as GenCountsRequestOutput } from '../generated/failsoft/likes/v1/CountsRequest.generated';
import type { CountsResponse as GenCountsResponse, CountsResponse__Output as GenCountsResponseOutput } from '../generated/failsoft/likes/v1/CountsResponse.generated';
import type { PostCount as GenPostCount, PostCount__Output as GenPostCountOutput } from '../generated/failsoft/likes/v1/PostCount.generated';
import type { LikesServiceClient as GenLikesServiceClient, LikesServiceHandlers as GenLikesServiceHandlers, LikesServiceDefinition as GenLikesServiceDefinition } from '../generated/failsoft/likes/v1/LikesService.generated';

/** LikesService.Like request — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type LikeRequest = GenLikeRequest;
/** LikesService.Like request — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type LikeRequestOutput = GenLikeRequestOutput;
/** LikesService.Unlike request — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type UnlikeRequest = GenUnlikeRequest;
/** LikesService.Unlike request — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type UnlikeRequestOutput = GenUnlikeRequestOutput;
/** LikesService.Like/Unlike response: the like state after the call — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type LikeResponse = GenLikeResponse;
/** LikesService.Like/Unlike response: the like state after the call — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type LikeResponseOutput = GenLikeResponseOutput;
/** LikesService.Counts request — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type CountsRequest = GenCountsRequest;
/** LikesService.Counts request — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type CountsRequestOutput = GenCountsRequestOutput;
/** LikesService.Counts response: one PostCount per distinct requested id, in request order — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type CountsResponse = GenCountsResponse;
/** LikesService.Counts response: one PostCount per distinct requested id, in request order — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type CountsResponseOutput = GenCountsResponseOutput;
/** Like count of one post (and, when asked, whether the viewer likes it) — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type PostCount = GenPostCount;
/** Like count of one post (and, when asked, whether the viewer likes it) — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type PostCountOutput = GenPostCountOutput;
/** Typed client of `failsoft.likes.v1.LikesService` (as made by `grpc.makeGenericClientConstructor`). */
export type LikesServiceClient = GenLikesServiceClient;
/** grpc-js callback-style handlers of `failsoft.likes.v1.LikesService` (for a plain `grpc.Server`). */
export type LikesServiceGrpcHandlers = GenLikesServiceHandlers;
/** Promise-based handlers of `failsoft.likes.v1.LikesService` for the sidecar's server: `implements LikesServiceHandlers<HandlerContext>`. */
export type LikesServiceHandlers<Ctx> = HandlersOf<GenLikesServiceDefinition, Ctx>;
/** Client view of `failsoft.likes.v1.LikesService` (`[request, response]` per method) for `TypedClient<LikesMethods>`. */
export type LikesMethods = ClientMethodsOf<GenLikesServiceDefinition>;
/** Typed `grpc.ServiceDefinition` of `failsoft.likes.v1.LikesService`. */
export type LikesServiceDefinition = GenLikesServiceDefinition;
