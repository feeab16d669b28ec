import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { IdempotencyError, IdempotencyStore, isDurabilityError, isIdempotencyError, isInvalidArgumentError } from '@failsoft/state';
import { inspectImage, isImageRejectedError, makeThumbnail, sanitizeOriginal } from '../image';
import { UPLOAD_OPTIONS, type UploadOptions } from '../upload.options';
import { ConcurrencyLimiter } from './concurrency.limiter';
import { normalizeCaption, validateAuthor, validateIdempotencyKey } from './post-request.validator';
import { newPostId, type StoredVariant } from './posts.keys';
import { PostsRepository, type StoredImage, type StoredImageInfo, type StoredPost } from './posts.repository';
import { StorageUnavailableError, UploadRequestError, isStorageUnavailableError, isUploadRequestError } from './upload.errors';

/** How long an idempotency key of CreatePost is remembered (24 h). */
export const CREATE_POST_IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** What CreatePost needs (the request fields, transport-free). */
export interface CreatePostInput {
  /** Author's user id. */
  readonly author: unknown;
  /** Caption as sent. */
  readonly caption: unknown;
  /** The uploaded file. */
  readonly image: Uint8Array | undefined;
  /** Idempotency key (`''` or undefined: none). */
  readonly idempotencyKey?: unknown;
  /** Aborts when the call ends (deadline, cancel): an image still waiting to be decoded is dropped. */
  readonly signal?: AbortSignal;
}

/** What CreatePost answers. */
export interface CreatePostResult {
  /** The post created by this call, or by the first call with the same idempotency key. */
  readonly post: StoredPost;
  /** True when an earlier call with the same key created the post and this one created nothing. */
  readonly replayed: boolean;
}

/**
 * The upload service's logic: validates and stores posts, serves them back.
 *
 * Every check on the request (author, caption, idempotency key, and the image: type, size, pixel
 * count, structure, decodability while making the thumbnail) runs BEFORE anything touches Redis,
 * so a refused request stores nothing: no post, no image, no event, not even an idempotency claim.
 */
@Injectable()
export class PostsService {
  private readonly imageJobs: ConcurrencyLimiter;

  /** @param repository storage; @param idempotency the state library's store; @param options tunables. */
  constructor(
    private readonly repository: PostsRepository,
    private readonly idempotency: IdempotencyStore,
    @Inject(UPLOAD_OPTIONS) private readonly options: UploadOptions,
  ) {
    this.imageJobs = new ConcurrencyLimiter(options.maxConcurrentImageJobs, options.maxQueuedImageJobs);
  }

  /**
   * Creates a post. With an idempotency key, every call with the same author and key (concurrent or
   * retried) yields ONE post: the first one stores it, the others get the same post with
   * `replayed: true`. The key is scoped by author (`create-post:{author}:{key}`), and bound to the
   * request by a fingerprint of caption + image: the same key with another caption or image is
   * refused (`IDEMPOTENCY_KEY_REUSED`) rather than answered with a post it did not ask for.
   *
   * @throws UploadRequestError / ImageRejectedError for bad input (nothing stored);
   *   StorageUnavailableError or DurabilityError when Redis cannot confirm the write (retry with the
   *   same key); IdempotencyError (`IDEMPOTENCY_KEY_REUSED`, `IDEMPOTENCY_WAIT_TIMEOUT`,
   *   `IDEMPOTENCY_FIRST_RUN_FAILED`).
   */
  async createPost(input: CreatePostInput): Promise<CreatePostResult> {
    const author = validateAuthor(input.author);
    const caption = normalizeCaption(input.caption);
    const key = validateIdempotencyKey(input.idempotencyKey);
    const image = input.image ?? new Uint8Array(0);
    const limits = this.options.imageLimits;
    const info = inspectImage(image, limits);
    // one job: the thumbnail, and the original re-encoded without its metadata (what is stored and served)
    const [thumbnail, original] = await this.imageJobs.run(
      async () => {
        const timeoutS = this.options.imageJobTimeoutS;
        const thumb = await makeThumbnail(image, info, { limits, maxEdge: this.options.thumbnailEdge, format: this.options.thumbnailFormat, timeoutS });
        return [thumb, (await sanitizeOriginal(image, info, limits, timeoutS)) as StoredImage] as const;
      },
      input.signal,
    );
    const scope = key === undefined ? undefined : `create-post:${author}:${key}`;
    const fingerprint = scope === undefined ? '' : createHash('sha256').update(caption).update('\0').update(image).digest('hex');
    let reused = false;
    const store = async (): Promise<StoredPost> => {
      const post: StoredPost = {
        id: newPostId(),
        author,
        caption,
        createdAtMs: Date.now(),
        width: original.width,
        height: original.height,
        contentType: info.contentType,
        thumbnailWidth: thumbnail.width,
        thumbnailHeight: thumbnail.height,
      };
      const quota = { maxPosts: this.options.maxPostsPerUser, maxBytes: this.options.maxBytesPerUser };
      const outcome = await this.repository.create({ post, original, thumbnail }, scope === undefined ? undefined : { key: scope, fingerprint, ttlMs: CREATE_POST_IDEMPOTENCY_TTL_MS }, quota);
      if (outcome.created) return post;
      if ('quota' in outcome) throw quotaExceeded(author, outcome.quota, quota);
      // An earlier attempt with this key stored its post, but its idempotency record does not say so:
      // its write was not confirmed (NOT_DURABLE), or the record was lost or taken over.
      if (outcome.fingerprint !== fingerprint) throw new IdempotencyError('IDEMPOTENCY_KEY_REUSED', scope ?? '', `idempotency key already created post ${outcome.postId} from another request`);
      reused = true;
      const existing = await this.repository.getPost(outcome.postId);
      if (existing === undefined) throw new StorageUnavailableError('read the post of an earlier attempt', new Error(`post ${outcome.postId} is not readable yet`));
      return existing;
    };
    if (scope === undefined) return { post: await store(), replayed: false };

    let ran = false;
    try {
      const post = await this.idempotency.run<StoredPost>(
        scope,
        () => {
          ran = true;
          return store();
        },
        { fingerprint, ttlMs: CREATE_POST_IDEMPOTENCY_TTL_MS },
      );
      return { post, replayed: !ran || reused };
    } catch (error) {
      throw classifyIdempotencyFailure(error);
    }
  }

  /**
   * The post with this id (validated by the caller).
   * @throws UploadRequestError `NOT_FOUND`; StorageUnavailableError.
   */
  async getPost(id: string): Promise<StoredPost> {
    const post = await this.repository.getPost(id);
    if (post === undefined) throw notFound(id);
    return post;
  }

  /**
   * Deletes a post for its author (id validated by the caller): the post, its images and the
   * author's quota use, with a `deleted` event for the feed. Not idempotent in its answer on
   * purpose: a second delete finds nothing (NOT_FOUND).
   * @throws UploadRequestError `BAD_AUTHOR`, `NOT_FOUND`, `NOT_AUTHOR` (nothing changed);
   *   StorageUnavailableError; DurabilityError (`NOT_DURABLE`).
   */
  async deletePost(id: string, caller: unknown): Promise<void> {
    const author = validateAuthor(caller);
    const outcome = await this.repository.delete(id, author);
    if (outcome.deleted) return;
    if (outcome.reason === 'not-found') throw notFound(id);
    throw new UploadRequestError('NOT_AUTHOR', `post ${id} was posted by another user; only its author may delete it`);
  }

  /**
   * One rendition of a post's image (id validated by the caller).
   * @throws UploadRequestError `NOT_FOUND`; StorageUnavailableError.
   */
  async getImage(id: string, variant: StoredVariant): Promise<StoredImage> {
    const image = await this.repository.getImage(id, variant);
    if (image === undefined) throw notFound(id);
    return image;
  }

  /**
   * What a rendition is (type, pixel size, byte size) before its bytes are read: the start of a
   * chunked read (imageChunks). @throws UploadRequestError `NOT_FOUND`; StorageUnavailableError.
   */
  async imageInfo(id: string, variant: StoredVariant): Promise<StoredImageInfo> {
    const info = await this.repository.imageInfo(id, variant);
    if (info === undefined) throw notFound(id);
    return info;
  }

  /**
   * The bytes of a rendition whose `info` was read, in chunks of at most `chunkBytes`: one GETRANGE
   * per chunk, made only when the consumer pulls it, so a slow or gone consumer stops the reads.
   * @throws UploadRequestError `NOT_FOUND` when the image vanishes or changes mid-way; StorageUnavailableError.
   */
  async *imageChunks(id: string, variant: StoredVariant, info: StoredImageInfo, chunkBytes: number): AsyncGenerator<Buffer> {
    for (let start = 0; start < info.size; start += chunkBytes) {
      const end = Math.min(start + chunkBytes, info.size) - 1;
      const chunk = await this.repository.imageRange(id, variant, start, end);
      if (chunk.length !== end - start + 1) throw new UploadRequestError('NOT_FOUND', `post ${id}'s image changed or was deleted while it was being sent`);
      yield chunk;
    }
  }
}

/** The QUOTA_EXCEEDED error of an author at a quota. */
function quotaExceeded(author: string, which: 'posts' | 'bytes', quota: { maxPosts: number; maxBytes: number }): UploadRequestError {
  const limit = which === 'posts' ? `${quota.maxPosts} posts` : `${Math.round(quota.maxBytes / 1024 / 1024)} MiB of images`;
  return new UploadRequestError('QUOTA_EXCEEDED', `${author} has stored ${limit}, the most one user may; nothing was stored`);
}

/** The NOT_FOUND error of an unknown post id. */
function notFound(id: string): UploadRequestError {
  return new UploadRequestError('NOT_FOUND', `post ${id} not found`);
}

/**
 * Errors out of IdempotencyStore.run are ours (from the stored function), the store's own, or raw
 * Redis errors of its claim / result writes: the last become StorageUnavailableError.
 */
function classifyIdempotencyFailure(error: unknown): unknown {
  if (
    isUploadRequestError(error) ||
    isImageRejectedError(error) ||
    isStorageUnavailableError(error) ||
    isDurabilityError(error) ||
    isIdempotencyError(error) ||
    isInvalidArgumentError(error) ||
    error instanceof TypeError
  ) {
    return error;
  }
  return new StorageUnavailableError('idempotency record', error);
}
