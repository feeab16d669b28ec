import { Injectable } from '@nestjs/common';
import type { GetImageRequest, ImageChunkOutput, ImageHeaderOutput, ImageOutput, PostOutput, UploadMethods } from '@failsoft/contracts';
import { Sidecar, currentCallScope, runInCallScope, type ServiceClient, type TypedClient } from '@failsoft/sidecar';
import { InjectSidecarClient } from '@failsoft/sidecar/nest';
import { LruCache } from '../common/lru.cache';
import { mapUpstreamError, type UpstreamErrorContext } from '../errors/upstream-error.mapper';

/** Deadline of CreatePost (validation, thumbnail and durable storage of up to 10 MiB). */
export const CREATE_POST_TIMEOUT_MS = 8000;
/** Deadline of GetPost for `GET /api/posts/:id`. */
export const GET_POST_TIMEOUT_MS = 1000;
/** Deadline of the existence check before a like: short, and skipped when upload cannot answer. */
export const EXISTS_TIMEOUT_MS = 300;
/** Deadline of DeletePost (one durable write). */
export const DELETE_POST_TIMEOUT_MS = 5000;
/** Deadline of GetImage (up to 10 MiB of bytes). */
export const GET_IMAGE_TIMEOUT_MS = 5000;
/** Deadline of a whole StreamImage (10 MiB to a slow but steady reader; idle readers are cut sooner by the send timeout). */
export const STREAM_IMAGE_TIMEOUT_MS = 300_000;
/** Post ids known to exist, kept to skip the existence check (a deleted post is forgotten here; another gateway may remember it until evicted, and a like of it then goes ahead). */
const KNOWN_POSTS_MAX = 10_000;

/** What the upload service answered to a CreatePost. */
export interface CreatedPost {
  readonly post: PostOutput;
  /** True when the idempotency key had already created this post. */
  readonly replayed: boolean;
}

/** Whether a post exists: `unknown` when upload could not say in time. */
export type Existence = 'yes' | 'no' | 'unknown';

/**
 * The gateway's use of the upload service (through the sidecar): create, read and delete posts,
 * read images. Errors become API errors (415/413/422/400 by the upload's machine code, 403, 404, 503 +
 * Retry-After while upload is down).
 */
@Injectable()
export class PostsService {
  private readonly known = new LruCache<string, true>(KNOWN_POSTS_MAX);
  private readonly upload: TypedClient<UploadMethods>;

  /** @param client the sidecar client of `upload`; @param sidecar for its logger. */
  constructor(
    @InjectSidecarClient('upload') private readonly client: ServiceClient,
    private readonly sidecar: Sidecar,
  ) {
    this.upload = client.typed<UploadMethods>();
  }

  /**
   * Creates a post. CreatePost is not idempotent by itself: `idempotencyKey` goes both in the
   * request (the upload service dedupes per author) and in the call options, which is what lets the
   * sidecar retry it on another instance after a failure. @throws ApiError.
   */
  async create(input: { author: string; caption: string; image: Buffer; contentTypeHint: string; idempotencyKey: string }): Promise<CreatedPost> {
    try {
      const response = await this.upload.CreatePost(
        { author: input.author, caption: input.caption, image: input.image, contentTypeHint: input.contentTypeHint, idempotencyKey: input.idempotencyKey },
        { idempotencyKey: input.idempotencyKey, timeoutMs: CREATE_POST_TIMEOUT_MS },
      );
      if (response.post === null) throw new Error('upload answered CreatePost without a post');
      this.known.set(response.post.id, true);
      return { post: response.post, replayed: response.replayed };
    } catch (error) {
      throw mapUpstreamError(error, { part: 'upload', what: 'creating posts is' });
    }
  }

  /** A post's metadata. @throws ApiError (404 unknown post, 503 upload down). */
  async get(postId: string): Promise<PostOutput> {
    try {
      const post = await this.upload.GetPost({ postId }, { timeoutMs: GET_POST_TIMEOUT_MS });
      this.known.set(post.id, true);
      return post;
    } catch (error) {
      throw mapUpstreamError(error, notFoundContext(postId, 'posts are'));
    }
  }

  /**
   * Deletes a post as `author`. Not retried on another instance (DeletePost is not idempotent in
   * its answer: a retry of an applied delete would say 404). @throws ApiError (403 `NOT_AUTHOR`,
   * 404 unknown or already deleted, 503 upload down).
   */
  async delete(postId: string, author: string): Promise<void> {
    try {
      await this.upload.DeletePost({ postId, author }, { timeoutMs: DELETE_POST_TIMEOUT_MS });
      this.known.delete(postId);
    } catch (error) {
      throw mapUpstreamError(error, { part: 'upload', what: 'deleting posts is', notFoundMessage: `post ${postId} does not exist` });
    }
  }

  /** A post's original image or thumbnail. @throws ApiError (404, 503). */
  async image(postId: string, variant: 'ORIGINAL' | 'THUMBNAIL'): Promise<ImageOutput> {
    try {
      return await this.upload.GetImage({ postId, variant }, { timeoutMs: GET_IMAGE_TIMEOUT_MS });
    } catch (error) {
      throw mapUpstreamError(error, notFoundContext(postId, 'images are'));
    }
  }

  /**
   * A post's original image as a stream (StreamImage): resolves with its header once upload
   * answered; the bytes are pulled chunk by chunk as `chunks` is iterated, so nothing beyond a
   * chunk is buffered here. `signal` (the HTTP response closing) cancels the upstream stream. The
   * stream runs under its own deadline (STREAM_IMAGE_TIMEOUT_MS), not the HTTP request's, with the
   * request's trace. @throws ApiError (404, 503) before the header; `chunks` rethrows a failure mid-way.
   */
  async originalStream(postId: string, signal: AbortSignal): Promise<ImageStream> {
    const outer = currentCallScope();
    const scope = { deadline: Date.now() + STREAM_IMAGE_TIMEOUT_MS, trace: outer?.trace, signal };
    let opened;
    try {
      const request: GetImageRequest = { postId, variant: 'ORIGINAL' };
      opened = await runInCallScope(scope, () => this.client.stream<GetImageRequest, ImageChunkOutput>('StreamImage', request, { timeoutMs: STREAM_IMAGE_TIMEOUT_MS, signal }));
    } catch (error) {
      throw mapUpstreamError(error, notFoundContext(postId, 'images are'));
    }
    const header = opened.first?.header;
    if (header == null) {
      opened.rest.cancel('no header');
      throw mapUpstreamError(new Error('upload answered StreamImage without a header first'), notFoundContext(postId, 'images are'));
    }
    const rest = opened.rest;
    return { header, size: Number(header.size), chunks: dataChunks(rest), cancel: () => rest.cancel('the response ended') };
  }

  /**
   * Whether `postId` exists, for refusing likes of unknown posts with 404. Fail-soft: when upload
   * is down or slow the answer is `unknown` and the like goes ahead (likes must keep working while
   * upload is down); ids seen to exist are remembered.
   */
  async exists(postId: string): Promise<Existence> {
    if (this.known.has(postId)) return 'yes';
    try {
      const post = await this.upload.GetPost({ postId }, { timeoutMs: EXISTS_TIMEOUT_MS, fallback: () => null });
      if (post === null) return 'unknown';
      this.known.set(postId, true);
      return 'yes';
    } catch (error) {
      const mapped = mapUpstreamError(error, notFoundContext(postId, 'posts are'));
      const status = (mapped as { status?: unknown }).status;
      if (status === 404 || status === 400) return 'no'; // unknown, or an id upload says cannot exist
      this.sidecar.logger.warn('could not check that a post exists; going ahead', { postId, error: String(error) });
      return 'unknown';
    }
  }
}

/** An original being streamed from upload. */
export interface ImageStream {
  /** Content type, size, pixel size and etag, as upload sent them first. */
  readonly header: ImageHeaderOutput;
  /** Total bytes the chunks carry. */
  readonly size: number;
  /** The bytes, pulled one upstream message at a time. */
  readonly chunks: AsyncIterable<Buffer>;
  /** Cancels the upstream stream (nothing once it has ended). */
  cancel(): void;
}

/** The data of the messages after the header (a second header is a protocol error). */
async function* dataChunks(messages: AsyncIterable<ImageChunkOutput>): AsyncGenerator<Buffer> {
  for await (const message of messages) {
    if (message.data == null) throw new Error('upload sent a StreamImage message without data after the header');
    yield message.data;
  }
}

function notFoundContext(postId: string, what: string): UpstreamErrorContext {
  return { part: 'upload', what, notFoundMessage: `post ${postId} does not exist` };
}
