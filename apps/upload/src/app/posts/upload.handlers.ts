import { Injectable } from '@nestjs/common';
import { MetadataKeys, type HandlerContext } from '@failsoft/sidecar';
import { SidecarHandlers } from '@failsoft/sidecar/nest';
import {
  CONTRACT_LIMITS,
  uploadServiceDefinition,
  type CreatePostRequestOutput,
  type CreatePostResponse,
  type DeletePostRequestOutput,
  type DeletePostResponse,
  type GetImageRequestOutput,
  type GetPostRequestOutput,
  type Image,
  type ImageChunk,
  type Post,
  type UploadServiceHandlers,
  ERROR_CODE_METADATA_KEY,
} from '@failsoft/contracts';
import { isDurabilityError } from '@failsoft/state';
import { toGrpcError } from './grpc-error.mapper';
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
export class UploadHandlers implements UploadServiceHandlers<HandlerContext> {
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
      const { post, replayed } = await this.posts.createPost({ author: request.author, caption: request.caption, image: request.image, idempotencyKey, signal: ctx.signal });
      ctx.logger.info(replayed ? 'post replayed' : 'post created', { postId: post.id, author: post.author, bytes: request.image.length });
      return { post: toPostMessage(post), replayed };
    } catch (error) {
      const mapped = toGrpcError(error);
      const code = (mapped as { metadata?: { get(key: string): unknown[] } }).metadata?.get(ERROR_CODE_METADATA_KEY)[0];
      // NOT_DURABLE / STORAGE_UNAVAILABLE: the state library's reason (TIMEOUT, UNCONFIRMED ...) and why, for whoever reads the logs
      const why = isDurabilityError(error) ? { reason: error.reason, why: error.message } : {};
      if (code !== undefined) ctx.logger.info('post refused', { code: String(code), bytes: request.image.length, ...why });
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

  /** DeletePost: the author deletes a post; PERMISSION_DENIED `NOT_AUTHOR` for anyone else, NOT_FOUND when there is none (also a second delete). */
  async DeletePost(request: DeletePostRequestOutput, ctx: HandlerContext): Promise<DeletePostResponse> {
    try {
      const postId = validatePostId(request.postId);
      await this.posts.deletePost(postId, request.author);
      ctx.logger.info('post deleted', { postId, author: request.author });
      return { postId };
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

  /**
   * StreamImage: the header (type, size, pixel size, etag), then the bytes in chunks of at most
   * CONTRACT_LIMITS.imageChunkMaxBytes, one GETRANGE per chunk. Each chunk is read only once the
   * previous one was taken by the transport (`stream.write` waits for 'drain'), and a cancelled
   * call stops the reads (its write rejects and the signal is checked before each read), so one
   * response holds about one chunk of memory whatever the image size or the reader's speed.
   */
  async StreamImage(request: GetImageRequestOutput, ctx: HandlerContext, stream: { write(message: ImageChunk): Promise<void> }): Promise<void> {
    try {
      const id = validatePostId(request.postId);
      const variant = parseVariant(request.variant);
      const info = await this.posts.imageInfo(id, variant);
      const etag = `"${id}-${variant}-${info.size}"`;
      await stream.write({ header: { contentType: info.contentType, size: info.size, width: info.width, height: info.height, etag } });
      for await (const data of this.posts.imageChunks(id, variant, info, CONTRACT_LIMITS.imageChunkMaxBytes)) {
        ctx.signal.throwIfAborted();
        await stream.write({ data });
        ctx.signal.throwIfAborted();
      }
    } catch (error) {
      if (ctx.signal.aborted) throw error; // the caller is gone: nobody reads the status
      throw toGrpcError(error);
    }
  }
}
