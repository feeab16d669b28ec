import type { ClientMethodsOf, HandlersOf } from './typed-service';
// Friendly names for the generated `failsoft.upload.v1` types (see README: input vs output flavours).
import type { Post as GenPost, Post__Output as GenPostOutput } from '../generated/failsoft/upload/v1/Post.generated';
import type { CreatePostRequest as GenCreatePostRequest, CreatePostRequest__Output as GenCreatePostRequestOutput } from '../generated/failsoft/upload/v1/CreatePostRequest.generated';
import type { CreatePostResponse as GenCreatePostResponse, CreatePostResponse__Output as GenCreatePostResponseOutput } from '../generated/failsoft/upload/v1/CreatePostResponse.generated';
import type { GetPostRequest as GenGetPostRequest, GetPostRequest__Output as GenGetPostRequestOutput } from '../generated/failsoft/upload/v1/GetPostRequest.generated';
import type { DeletePostRequest as GenDeletePostRequest, DeletePostRequest__Output as GenDeletePostRequestOutput } from '../generated/failsoft/upload/v1/DeletePostRequest.generated';
import type { DeletePostResponse as GenDeletePostResponse, DeletePostResponse__Output as GenDeletePostResponseOutput } from '../generated/failsoft/upload/v1/DeletePostResponse.generated';
import type { GetImageRequest as GenGetImageRequest, GetImageRequest__Output as GenGetImageRequestOutput } from '../generated/failsoft/upload/v1/GetImageRequest.generated';
import type { Image as GenImage, Image__Output as GenImageOutput } from '../generated/failsoft/upload/v1/Image.generated';
import type { ImageChunk as GenImageChunk, ImageChunk__Output as GenImageChunkOutput } from '../generated/failsoft/upload/v1/ImageChunk.generated';
import type { ImageHeader as GenImageHeader, ImageHeader__Output as GenImageHeaderOutput } from '../generated/failsoft/upload/v1/ImageHeader.generated';
import type { UploadServiceClient as GenUploadServiceClient, UploadServiceHandlers as GenUploadServiceHandlers, UploadServiceDefinition as GenUploadServiceDefinition } from '../generated/failsoft/upload/v1/UploadService.generated';
import { ImageVariant as GenImageVariant, type ImageVariant__Output as GenImageVariantOutput } from '../generated/failsoft/upload/v1/ImageVariant.generated';

/** A post: an image with a caption, as stored by the upload service — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type Post = GenPost;
/** A post: an image with a caption, as stored by the upload service — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type PostOutput = GenPostOutput;
/** UploadService.CreatePost request — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type CreatePostRequest = GenCreatePostRequest;
/** UploadService.CreatePost request — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type CreatePostRequestOutput = GenCreatePostRequestOutput;
/** UploadService.CreatePost response — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type CreatePostResponse = GenCreatePostResponse;
/** UploadService.CreatePost response — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type CreatePostResponseOutput = GenCreatePostResponseOutput;
/** UploadService.GetPost request — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type GetPostRequest = GenGetPostRequest;
/** UploadService.GetPost request — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type GetPostRequestOutput = GenGetPostRequestOutput;
/** UploadService.DeletePost request (post id and the caller, who must be the author) — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type DeletePostRequest = GenDeletePostRequest;
/** UploadService.DeletePost request — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type DeletePostRequestOutput = GenDeletePostRequestOutput;
/** UploadService.DeletePost response — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type DeletePostResponse = GenDeletePostResponse;
/** UploadService.DeletePost response — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type DeletePostResponseOutput = GenDeletePostResponseOutput;
/** UploadService.GetImage request — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type GetImageRequest = GenGetImageRequest;
/** UploadService.GetImage request — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type GetImageRequestOutput = GenGetImageRequestOutput;
/** UploadService.GetImage response: image bytes with content type and pixel size — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type Image = GenImage;
/** UploadService.GetImage response: image bytes with content type and pixel size — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type ImageOutput = GenImageOutput;
/** UploadService.StreamImage message: the header first, then data chunks — input flavour. */
export type ImageChunk = GenImageChunk;
/** UploadService.StreamImage message: the header first, then data chunks — output flavour (`part` names the field set). */
export type ImageChunkOutput = GenImageChunkOutput;
/** First message of StreamImage: content type, total size, pixel size, etag — input flavour. */
export type ImageHeader = GenImageHeader;
/** First message of StreamImage — output flavour (uint64 `size` as a decimal string). */
export type ImageHeaderOutput = GenImageHeaderOutput;
/** Which stored rendition of an image: `ORIGINAL` (default) or `THUMBNAIL`: the names as constants. */
export const ImageVariant = GenImageVariant;
/** Which stored rendition of an image: `ORIGINAL` (default) or `THUMBNAIL` — input flavour (name or number). */
export type ImageVariant = GenImageVariant;
/** Which stored rendition of an image: `ORIGINAL` (default) or `THUMBNAIL` — output flavour (always the name). */
export type ImageVariantOutput = GenImageVariantOutput;
/** Typed client of `failsoft.upload.v1.UploadService` (as made by `grpc.makeGenericClientConstructor`). */
export type UploadServiceClient = GenUploadServiceClient;
/** grpc-js callback-style handlers of `failsoft.upload.v1.UploadService` (for a plain `grpc.Server`). */
export type UploadServiceGrpcHandlers = GenUploadServiceHandlers;
/** Promise-based handlers of `failsoft.upload.v1.UploadService` for the sidecar's server: `implements UploadServiceHandlers<HandlerContext>`. */
export type UploadServiceHandlers<Ctx> = Omit<HandlersOf<GenUploadServiceDefinition, Ctx>, UploadStreamingMethod> & {
  /** StreamImage (server-streaming): write the header, then the chunks; resolve to end the stream. */
  StreamImage(request: GetImageRequestOutput, ctx: Ctx, stream: { write(message: ImageChunk): Promise<void> }): Promise<void>;
};
/** The server-streaming methods of `failsoft.upload.v1.UploadService` (called with the sidecar's `stream()`, not `call()`). */
export type UploadStreamingMethod = 'StreamImage';
/** Client view of `failsoft.upload.v1.UploadService` (`[request, response]` per method) for `TypedClient<UploadMethods>`. */
export type UploadMethods = Omit<ClientMethodsOf<GenUploadServiceDefinition>, UploadStreamingMethod>;
/** Typed `grpc.ServiceDefinition` of `failsoft.upload.v1.UploadService`. */
export type UploadServiceDefinition = GenUploadServiceDefinition;
