import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { IdempotencyError, IdempotencyStore, isDurabilityError, isIdempotencyError, isInvalidArgumentError } from '@failsoft/state';
import { inspectImage, isImageRejectedError, makeThumbnail } from '../image';
import { UPLOAD_OPTIONS, type UploadOptions } from '../upload.options';
import { ConcurrencyLimiter } from './concurrency.limiter';
import { normalizeCaption, validateAuthor, validateIdempotencyKey } from './post-request.validator';
import { newPostId, type StoredVariant } from './posts.keys';
import { PostsRepository, type StoredImage, type StoredPost } from './posts.repository';
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
    this.imageJobs = new ConcurrencyLimiter(options.maxConcurrentImageJobs);
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
    const thumbnail = await this.imageJobs.run(() =>
      makeThumbnail(image, info, { limits, maxEdge: this.options.thumbnailEdge, format: this.options.thumbnailFormat }),
    );
    const original: StoredImage = { data: Buffer.from(image.buffer, image.byteOffset, image.byteLength), contentType: info.contentType, width: info.width, height: info.height };
    const scope = key === undefined ? undefined : `create-post:${author}:${key}`;
    const fingerprint = scope === undefined ? '' : createHash('sha256').update(caption).update('\0').update(image).digest('hex');
    let reused = false;
    const store = async (): Promise<StoredPost> => {
      const post: StoredPost = {
        id: newPostId(),
        author,
        caption,
        createdAtMs: Date.now(),
        width: info.width,
        height: info.height,
        contentType: info.contentType,
        thumbnailWidth: thumbnail.width,
        thumbnailHeight: thumbnail.height,
      };
      const outcome = await this.repository.create({ post, original, thumbnail }, scope === undefined ? undefined : { key: scope, fingerprint, ttlMs: CREATE_POST_IDEMPOTENCY_TTL_MS });
      if (outcome.created) return post;
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
   * One rendition of a post's image (id validated by the caller).
   * @throws UploadRequestError `NOT_FOUND`; StorageUnavailableError.
   */
  async getImage(id: string, variant: StoredVariant): Promise<StoredImage> {
    const image = await this.repository.getImage(id, variant);
    if (image === undefined) throw notFound(id);
    return image;
  }
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
