import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { CreatePostRequest as _failsoft_upload_v1_CreatePostRequest, CreatePostRequest__Output as _failsoft_upload_v1_CreatePostRequest__Output } from './failsoft/upload/v1/CreatePostRequest.generated';
import type { CreatePostResponse as _failsoft_upload_v1_CreatePostResponse, CreatePostResponse__Output as _failsoft_upload_v1_CreatePostResponse__Output } from './failsoft/upload/v1/CreatePostResponse.generated';
import type { DeletePostRequest as _failsoft_upload_v1_DeletePostRequest, DeletePostRequest__Output as _failsoft_upload_v1_DeletePostRequest__Output } from './failsoft/upload/v1/DeletePostRequest.generated';
import type { DeletePostResponse as _failsoft_upload_v1_DeletePostResponse, DeletePostResponse__Output as _failsoft_upload_v1_DeletePostResponse__Output } from './failsoft/upload/v1/DeletePostResponse.generated';
import type { GetImageRequest as _failsoft_upload_v1_GetImageRequest, GetImageRequest__Output as _failsoft_upload_v1_GetImageRequest__Output } from './failsoft/upload/v1/GetImageRequest.generated';
import type { GetPostRequest as _failsoft_upload_v1_GetPostRequest, GetPostRequest__Output as _failsoft_upload_v1_GetPostRequest__Output } from './failsoft/upload/v1/GetPostRequest.generated';
import type { Image as _failsoft_upload_v1_Image, Image__Output as _failsoft_upload_v1_Image__Output } from './failsoft/upload/v1/Image.generated';
import type { ImageChunk as _failsoft_upload_v1_ImageChunk, ImageChunk__Output as _failsoft_upload_v1_ImageChunk__Output } from './failsoft/upload/v1/ImageChunk.generated';
import type { ImageHeader as _failsoft_upload_v1_ImageHeader, ImageHeader__Output as _failsoft_upload_v1_ImageHeader__Output } from './failsoft/upload/v1/ImageHeader.generated';
import type { Post as _failsoft_upload_v1_Post, Post__Output as _failsoft_upload_v1_Post__Output } from './failsoft/upload/v1/Post.generated';
import type { UploadServiceClient as _failsoft_upload_v1_UploadServiceClient, UploadServiceDefinition as _failsoft_upload_v1_UploadServiceDefinition } from './failsoft/upload/v1/UploadService.generated';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  failsoft: {
    upload: {
      v1: {
        CreatePostRequest: MessageTypeDefinition<_failsoft_upload_v1_CreatePostRequest, _failsoft_upload_v1_CreatePostRequest__Output>
        CreatePostResponse: MessageTypeDefinition<_failsoft_upload_v1_CreatePostResponse, _failsoft_upload_v1_CreatePostResponse__Output>
        DeletePostRequest: MessageTypeDefinition<_failsoft_upload_v1_DeletePostRequest, _failsoft_upload_v1_DeletePostRequest__Output>
        DeletePostResponse: MessageTypeDefinition<_failsoft_upload_v1_DeletePostResponse, _failsoft_upload_v1_DeletePostResponse__Output>
        GetImageRequest: MessageTypeDefinition<_failsoft_upload_v1_GetImageRequest, _failsoft_upload_v1_GetImageRequest__Output>
        GetPostRequest: MessageTypeDefinition<_failsoft_upload_v1_GetPostRequest, _failsoft_upload_v1_GetPostRequest__Output>
        Image: MessageTypeDefinition<_failsoft_upload_v1_Image, _failsoft_upload_v1_Image__Output>
        ImageChunk: MessageTypeDefinition<_failsoft_upload_v1_ImageChunk, _failsoft_upload_v1_ImageChunk__Output>
        ImageHeader: MessageTypeDefinition<_failsoft_upload_v1_ImageHeader, _failsoft_upload_v1_ImageHeader__Output>
        ImageVariant: EnumTypeDefinition
        Post: MessageTypeDefinition<_failsoft_upload_v1_Post, _failsoft_upload_v1_Post__Output>
        /**
         * Creates posts from uploaded images and serves the stored images.
         * 
         * Status codes: INVALID_ARGUMENT for bad input (the message says what was wrong and
         * what is accepted, e.g. an image of an unsupported type, too large, or with too many
         * pixels), NOT_FOUND for an unknown post, UNAVAILABLE when storage is unreachable
         * (retryable).
         */
        UploadService: SubtypeConstructor<typeof grpc.Client, _failsoft_upload_v1_UploadServiceClient> & { service: _failsoft_upload_v1_UploadServiceDefinition }
      }
    }
  }
}

