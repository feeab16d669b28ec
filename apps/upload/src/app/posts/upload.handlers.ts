import { Injectable } from '@nestjs/common';
import { MetadataKeys, type HandlerContext } from '@failsoft/sidecar';
import { SidecarHandlers } from '@failsoft/sidecar/nest';
import {
  uploadServiceDefinition,
  type CreatePostRequestOutput,
  type CreatePostResponse,
  type GetImageRequestOutput,
  type GetPostRequestOutput,
  type Image,
  type Post,
} from '@failsoft/contracts';
import { toGrpcError } from './grpc-error.mapper';
import { ERROR_CODE_METADATA_KEY } from './upload.errors';
import { parseVariant, validatePostId } from './post-request.validator';
import { PostsService } from './posts.service';
import type { StoredPost } from './posts.repository';

/** The wire form of a stored post (int64 as a decimal string). */
export function toPostMessage(post: StoredPost): Post {
  return { ...post, createdAtMs: String(post.createdAtMs) };
}

/**
 * gRPC handlers of `failsoft.upload.v1.UploadService`, served by the sidecar (auth, deadlines,
 * load shedding, drain). Transport only: validation and storage live in {@link PostsService}; every
 * refusal is answered with a clear message and its machine code in the trailing metadata
 * `x-failsoft-error-code` (see grpc-error.mapper.ts).
 */
@Injectable()
@SidecarHandlers(uploadServiceDefinition())
export class UploadHandlers {
  /** @param posts the service logic. */
  constructor(private readonly posts: PostsService) {}

  /**
   * CreatePost: validates the image by its bytes, makes a thumbnail, stores both durably and appends
   * the post event. The idempotency key is the request's `idempotency_key`, or else the sidecar's
   * `x-idempotency-key` metadata (what `client.call(..., { idempotencyKey })` sends).
   */
  async CreatePost(request: CreatePostRequestOutput, ctx: HandlerContext): Promise<CreatePostResponse> {
    try {
      const fromMetadata = ctx.metadata.get(MetadataKeys.idempotencyKey)[0];
      const idempotencyKey = request.idempotencyKey !== '' ? request.idempotencyKey : typeof fromMetadata === 'string' ? fromMetadata : '';
      const { post, replayed } = await this.posts.createPost({ author: request.author, caption: request.caption, image: request.image, idempotencyKey });
      ctx.logger.info(replayed ? 'post replayed' : 'post created', { postId: post.id, author: post.author, bytes: request.image.length });
      return { post: toPostMessage(post), replayed };
    } catch (error) {
      const mapped = toGrpcError(error);
      const code = (mapped as { metadata?: { get(key: string): unknown[] } }).metadata?.get(ERROR_CODE_METADATA_KEY)[0];
      if (code !== undefined) ctx.logger.info('post refused', { code: String(code), bytes: request.image.length });
      throw mapped;
    }
  }

  /** GetPost: the post, NOT_FOUND for an unknown id, INVALID_ARGUMENT for a malformed one. */
  async GetPost(request: GetPostRequestOutput): Promise<Post> {
    try {
      return toPostMessage(await this.posts.getPost(validatePostId(request.postId)));
    } catch (error) {
      throw toGrpcError(error);
    }
  }

  /** GetImage: the original (default) or thumbnail bytes with content type and pixel size. */
  async GetImage(request: GetImageRequestOutput): Promise<Image> {
    try {
      const id = validatePostId(request.postId);
      const image = await this.posts.getImage(id, parseVariant(request.variant));
      return { contentType: image.contentType, data: image.data, width: image.width, height: image.height };
    } catch (error) {
      throw toGrpcError(error);
    }
  }
}
