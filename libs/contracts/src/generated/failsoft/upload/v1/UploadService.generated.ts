// Original file: libs/contracts/src/proto/failsoft/upload/v1/upload.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CreatePostRequest as _failsoft_upload_v1_CreatePostRequest, CreatePostRequest__Output as _failsoft_upload_v1_CreatePostRequest__Output } from '../../../failsoft/upload/v1/CreatePostRequest.generated';
import type { CreatePostResponse as _failsoft_upload_v1_CreatePostResponse, CreatePostResponse__Output as _failsoft_upload_v1_CreatePostResponse__Output } from '../../../failsoft/upload/v1/CreatePostResponse.generated';
import type { DeletePostRequest as _failsoft_upload_v1_DeletePostRequest, DeletePostRequest__Output as _failsoft_upload_v1_DeletePostRequest__Output } from '../../../failsoft/upload/v1/DeletePostRequest.generated';
import type { DeletePostResponse as _failsoft_upload_v1_DeletePostResponse, DeletePostResponse__Output as _failsoft_upload_v1_DeletePostResponse__Output } from '../../../failsoft/upload/v1/DeletePostResponse.generated';
import type { GetImageRequest as _failsoft_upload_v1_GetImageRequest, GetImageRequest__Output as _failsoft_upload_v1_GetImageRequest__Output } from '../../../failsoft/upload/v1/GetImageRequest.generated';
import type { GetPostRequest as _failsoft_upload_v1_GetPostRequest, GetPostRequest__Output as _failsoft_upload_v1_GetPostRequest__Output } from '../../../failsoft/upload/v1/GetPostRequest.generated';
import type { Image as _failsoft_upload_v1_Image, Image__Output as _failsoft_upload_v1_Image__Output } from '../../../failsoft/upload/v1/Image.generated';
import type { ImageChunk as _failsoft_upload_v1_ImageChunk, ImageChunk__Output as _failsoft_upload_v1_ImageChunk__Output } from '../../../failsoft/upload/v1/ImageChunk.generated';
import type { Post as _failsoft_upload_v1_Post, Post__Output as _failsoft_upload_v1_Post__Output } from '../../../failsoft/upload/v1/Post.generated';

/**
 * Creates posts from uploaded images and serves the stored images.
 * 
 * Status codes: INVALID_ARGUMENT for bad input (the message says what was wrong and
 * what is accepted, e.g. an image of an unsupported type, too large, or with too many
 * pixels), NOT_FOUND for an unknown post, UNAVAILABLE when storage is unreachable
 * (retryable).
 */
export interface UploadServiceClient extends grpc.Client {
  /**
   * Validates the image by its bytes (JPEG, PNG, WebP, GIF; size and pixel caps),
   * makes a thumbnail, stores both durably, and appends a post event to the post
   * stream. Not idempotent by itself: a retry must carry the same idempotency_key,
   * and all calls with one key yield one post.
   */
  CreatePost(argument: _failsoft_upload_v1_CreatePostRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_upload_v1_CreatePostResponse__Output>): grpc.ClientUnaryCall;
  CreatePost(argument: _failsoft_upload_v1_CreatePostRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_failsoft_upload_v1_CreatePostResponse__Output>): grpc.ClientUnaryCall;
  CreatePost(argument: _failsoft_upload_v1_CreatePostRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_upload_v1_CreatePostResponse__Output>): grpc.ClientUnaryCall;
  CreatePost(argument: _failsoft_upload_v1_CreatePostRequest, callback: grpc.requestCallback<_failsoft_upload_v1_CreatePostResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Validates the image by its bytes (JPEG, PNG, WebP, GIF; size and pixel caps),
   * makes a thumbnail, stores both durably, and appends a post event to the post
   * stream. Not idempotent by itself: a retry must carry the same idempotency_key,
   * and all calls with one key yield one post.
   */
  createPost(argument: _failsoft_upload_v1_CreatePostRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_upload_v1_CreatePostResponse__Output>): grpc.ClientUnaryCall;
  createPost(argument: _failsoft_upload_v1_CreatePostRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_failsoft_upload_v1_CreatePostResponse__Output>): grpc.ClientUnaryCall;
  createPost(argument: _failsoft_upload_v1_CreatePostRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_upload_v1_CreatePostResponse__Output>): grpc.ClientUnaryCall;
  createPost(argument: _failsoft_upload_v1_CreatePostRequest, callback: grpc.requestCallback<_failsoft_upload_v1_CreatePostResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Deletes a post, only for its author: the post, both images, the author's quota use,
   * and a `deleted` event on the post stream (the feed drops it from the timeline).
   * PERMISSION_DENIED (code NOT_AUTHOR) when the caller is not the author, NOT_FOUND for
   * an unknown (or already deleted) post: a second delete is NOT_FOUND.
   */
  DeletePost(argument: _failsoft_upload_v1_DeletePostRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_upload_v1_DeletePostResponse__Output>): grpc.ClientUnaryCall;
  DeletePost(argument: _failsoft_upload_v1_DeletePostRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_failsoft_upload_v1_DeletePostResponse__Output>): grpc.ClientUnaryCall;
  DeletePost(argument: _failsoft_upload_v1_DeletePostRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_upload_v1_DeletePostResponse__Output>): grpc.ClientUnaryCall;
  DeletePost(argument: _failsoft_upload_v1_DeletePostRequest, callback: grpc.requestCallback<_failsoft_upload_v1_DeletePostResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Deletes a post, only for its author: the post, both images, the author's quota use,
   * and a `deleted` event on the post stream (the feed drops it from the timeline).
   * PERMISSION_DENIED (code NOT_AUTHOR) when the caller is not the author, NOT_FOUND for
   * an unknown (or already deleted) post: a second delete is NOT_FOUND.
   */
  deletePost(argument: _failsoft_upload_v1_DeletePostRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_upload_v1_DeletePostResponse__Output>): grpc.ClientUnaryCall;
  deletePost(argument: _failsoft_upload_v1_DeletePostRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_failsoft_upload_v1_DeletePostResponse__Output>): grpc.ClientUnaryCall;
  deletePost(argument: _failsoft_upload_v1_DeletePostRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_upload_v1_DeletePostResponse__Output>): grpc.ClientUnaryCall;
  deletePost(argument: _failsoft_upload_v1_DeletePostRequest, callback: grpc.requestCallback<_failsoft_upload_v1_DeletePostResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Returns the bytes of a post's original image or its thumbnail. Idempotent.
   */
  GetImage(argument: _failsoft_upload_v1_GetImageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_upload_v1_Image__Output>): grpc.ClientUnaryCall;
  GetImage(argument: _failsoft_upload_v1_GetImageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_failsoft_upload_v1_Image__Output>): grpc.ClientUnaryCall;
  GetImage(argument: _failsoft_upload_v1_GetImageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_upload_v1_Image__Output>): grpc.ClientUnaryCall;
  GetImage(argument: _failsoft_upload_v1_GetImageRequest, callback: grpc.requestCallback<_failsoft_upload_v1_Image__Output>): grpc.ClientUnaryCall;
  /**
   * Returns the bytes of a post's original image or its thumbnail. Idempotent.
   */
  getImage(argument: _failsoft_upload_v1_GetImageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_upload_v1_Image__Output>): grpc.ClientUnaryCall;
  getImage(argument: _failsoft_upload_v1_GetImageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_failsoft_upload_v1_Image__Output>): grpc.ClientUnaryCall;
  getImage(argument: _failsoft_upload_v1_GetImageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_upload_v1_Image__Output>): grpc.ClientUnaryCall;
  getImage(argument: _failsoft_upload_v1_GetImageRequest, callback: grpc.requestCallback<_failsoft_upload_v1_Image__Output>): grpc.ClientUnaryCall;
  
  /**
   * Returns a post's metadata. Idempotent.
   */
  GetPost(argument: _failsoft_upload_v1_GetPostRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_upload_v1_Post__Output>): grpc.ClientUnaryCall;
  GetPost(argument: _failsoft_upload_v1_GetPostRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_failsoft_upload_v1_Post__Output>): grpc.ClientUnaryCall;
  GetPost(argument: _failsoft_upload_v1_GetPostRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_upload_v1_Post__Output>): grpc.ClientUnaryCall;
  GetPost(argument: _failsoft_upload_v1_GetPostRequest, callback: grpc.requestCallback<_failsoft_upload_v1_Post__Output>): grpc.ClientUnaryCall;
  /**
   * Returns a post's metadata. Idempotent.
   */
  getPost(argument: _failsoft_upload_v1_GetPostRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_upload_v1_Post__Output>): grpc.ClientUnaryCall;
  getPost(argument: _failsoft_upload_v1_GetPostRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_failsoft_upload_v1_Post__Output>): grpc.ClientUnaryCall;
  getPost(argument: _failsoft_upload_v1_GetPostRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_failsoft_upload_v1_Post__Output>): grpc.ClientUnaryCall;
  getPost(argument: _failsoft_upload_v1_GetPostRequest, callback: grpc.requestCallback<_failsoft_upload_v1_Post__Output>): grpc.ClientUnaryCall;
  
  /**
   * Streams a post's original image or thumbnail in bounded chunks: the first
   * message carries the header (type, size, pixel size, etag) and no bytes, every
   * later one a chunk of at most 64 KiB, in order. Idempotent.
   */
  StreamImage(argument: _failsoft_upload_v1_GetImageRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_failsoft_upload_v1_ImageChunk__Output>;
  StreamImage(argument: _failsoft_upload_v1_GetImageRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_failsoft_upload_v1_ImageChunk__Output>;
  /**
   * Streams a post's original image or thumbnail in bounded chunks: the first
   * message carries the header (type, size, pixel size, etag) and no bytes, every
   * later one a chunk of at most 64 KiB, in order. Idempotent.
   */
  streamImage(argument: _failsoft_upload_v1_GetImageRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_failsoft_upload_v1_ImageChunk__Output>;
  streamImage(argument: _failsoft_upload_v1_GetImageRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_failsoft_upload_v1_ImageChunk__Output>;
  
}

/**
 * Creates posts from uploaded images and serves the stored images.
 * 
 * Status codes: INVALID_ARGUMENT for bad input (the message says what was wrong and
 * what is accepted, e.g. an image of an unsupported type, too large, or with too many
 * pixels), NOT_FOUND for an unknown post, UNAVAILABLE when storage is unreachable
 * (retryable).
 */
export interface UploadServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Validates the image by its bytes (JPEG, PNG, WebP, GIF; size and pixel caps),
   * makes a thumbnail, stores both durably, and appends a post event to the post
   * stream. Not idempotent by itself: a retry must carry the same idempotency_key,
   * and all calls with one key yield one post.
   */
  CreatePost: grpc.handleUnaryCall<_failsoft_upload_v1_CreatePostRequest__Output, _failsoft_upload_v1_CreatePostResponse>;
  
  /**
   * Deletes a post, only for its author: the post, both images, the author's quota use,
   * and a `deleted` event on the post stream (the feed drops it from the timeline).
   * PERMISSION_DENIED (code NOT_AUTHOR) when the caller is not the author, NOT_FOUND for
   * an unknown (or already deleted) post: a second delete is NOT_FOUND.
   */
  DeletePost: grpc.handleUnaryCall<_failsoft_upload_v1_DeletePostRequest__Output, _failsoft_upload_v1_DeletePostResponse>;
  
  /**
   * Returns the bytes of a post's original image or its thumbnail. Idempotent.
   */
  GetImage: grpc.handleUnaryCall<_failsoft_upload_v1_GetImageRequest__Output, _failsoft_upload_v1_Image>;
  
  /**
   * Returns a post's metadata. Idempotent.
   */
  GetPost: grpc.handleUnaryCall<_failsoft_upload_v1_GetPostRequest__Output, _failsoft_upload_v1_Post>;
  
  /**
   * Streams a post's original image or thumbnail in bounded chunks: the first
   * message carries the header (type, size, pixel size, etag) and no bytes, every
   * later one a chunk of at most 64 KiB, in order. Idempotent.
   */
  StreamImage: grpc.handleServerStreamingCall<_failsoft_upload_v1_GetImageRequest__Output, _failsoft_upload_v1_ImageChunk>;
  
}

export interface UploadServiceDefinition extends grpc.ServiceDefinition {
  CreatePost: MethodDefinition<_failsoft_upload_v1_CreatePostRequest, _failsoft_upload_v1_CreatePostResponse, _failsoft_upload_v1_CreatePostRequest__Output, _failsoft_upload_v1_CreatePostResponse__Output>
  DeletePost: MethodDefinition<_failsoft_upload_v1_DeletePostRequest, _failsoft_upload_v1_DeletePostResponse, _failsoft_upload_v1_DeletePostRequest__Output, _failsoft_upload_v1_DeletePostResponse__Output>
  GetImage: MethodDefinition<_failsoft_upload_v1_GetImageRequest, _failsoft_upload_v1_Image, _failsoft_upload_v1_GetImageRequest__Output, _failsoft_upload_v1_Image__Output>
  GetPost: MethodDefinition<_failsoft_upload_v1_GetPostRequest, _failsoft_upload_v1_Post, _failsoft_upload_v1_GetPostRequest__Output, _failsoft_upload_v1_Post__Output>
  StreamImage: MethodDefinition<_failsoft_upload_v1_GetImageRequest, _failsoft_upload_v1_ImageChunk, _failsoft_upload_v1_GetImageRequest__Output, _failsoft_upload_v1_ImageChunk__Output>
}
