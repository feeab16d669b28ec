import { Injectable } from '@nestjs/common';
import type { CreatePostRequest, CreatePostResponseOutput, GetImageRequest, GetPostRequest, ImageOutput, PostOutput } from '@failsoft/contracts';
import { Sidecar, type ServiceClient } from '@failsoft/sidecar';
import { InjectSidecarClient } from '@failsoft/sidecar/nest';
import { LruCache } from '../common/lru.cache';
import { mapUpstreamError, type UpstreamErrorContext } from '../errors/upstream-error.mapper';

/** Deadline of CreatePost (validation, thumbnail and durable storage of up to 10 MiB). */
export const CREATE_POST_TIMEOUT_MS = 8000;
/** Deadline of GetPost for `GET /api/posts/:id`. */
export const GET_POST_TIMEOUT_MS = 1000;
/** Deadline of the existence check before a like: short, and skipped when upload cannot answer. */
export const EXISTS_TIMEOUT_MS = 300;
/** Deadline of GetImage (up to 10 MiB of bytes). */
export const GET_IMAGE_TIMEOUT_MS = 5000;
/** Post ids known to exist, kept to skip the existence check (posts are never deleted). */
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
 * The gateway's use of the upload service (through the sidecar): create posts, read posts and
 * images. Errors become API errors (415/413/422/400 by the upload's machine code, 404, 503 +
 * Retry-After while upload is down).
 */
@Injectable()
export class PostsService {
  private readonly known = new LruCache<string, true>(KNOWN_POSTS_MAX);

  /** @param client the sidecar client of `upload`; @param sidecar for its logger. */
  constructor(
    @InjectSidecarClient('upload') private readonly client: ServiceClient,
    private readonly sidecar: Sidecar,
  ) {}

  /**
   * Creates a post. CreatePost is not idempotent by itself: `idempotencyKey` goes both in the
   * request (the upload service dedupes per author) and in the call options, which is what lets the
   * sidecar retry it on another instance after a failure. @throws ApiError.
   */
  async create(input: { author: string; caption: string; image: Buffer; contentTypeHint: string; idempotencyKey: string }): Promise<CreatedPost> {
    try {
      const response = await this.client.call<CreatePostRequest, CreatePostResponseOutput>(
        'CreatePost',
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
      const post = await this.client.call<GetPostRequest, PostOutput>('GetPost', { postId }, { timeoutMs: GET_POST_TIMEOUT_MS });
      this.known.set(post.id, true);
      return post;
    } catch (error) {
      throw mapUpstreamError(error, notFoundContext(postId, 'posts are'));
    }
  }

  /** A post's original image or thumbnail. @throws ApiError (404, 503). */
  async image(postId: string, variant: 'ORIGINAL' | 'THUMBNAIL'): Promise<ImageOutput> {
    try {
      return await this.client.call<GetImageRequest, ImageOutput>('GetImage', { postId, variant }, { timeoutMs: GET_IMAGE_TIMEOUT_MS });
    } catch (error) {
      throw mapUpstreamError(error, notFoundContext(postId, 'images are'));
    }
  }

  /**
   * Whether `postId` exists, for refusing likes of unknown posts with 404. Fail-soft: when upload
   * is down or slow the answer is `unknown` and the like goes ahead (likes must keep working while
   * upload is down); ids seen to exist are remembered.
   */
  async exists(postId: string): Promise<Existence> {
    if (this.known.has(postId)) return 'yes';
    try {
      const post = await this.client.call<GetPostRequest, PostOutput | null>('GetPost', { postId }, { timeoutMs: EXISTS_TIMEOUT_MS, fallback: () => null });
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

function notFoundContext(postId: string, what: string): UpstreamErrorContext {
  return { part: 'upload', what, notFoundMessage: `post ${postId} does not exist` };
}
