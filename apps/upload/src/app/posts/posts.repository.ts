import { Inject, Injectable } from '@nestjs/common';
import { DurableWriter, isDurabilityError, isStateError, type RedisArg, type StateRedis } from '@failsoft/state';
import { STATE_REDIS } from '@failsoft/state/nest';
import { POSTS_STREAM_KEY, createdMarkerKey, imageKey, imageMetaKey, postKey, quotaKey, type StoredVariant } from './posts.keys';
import { StorageUnavailableError } from './upload.errors';

/** A post as stored in `failsoft:post:{id}`. */
export interface StoredPost {
  /** Post id (`p_` + 16 base32 characters). */
  readonly id: string;
  /** Author's user id. */
  readonly author: string;
  /** Normalised caption (may be empty). */
  readonly caption: string;
  /** Creation time, ms since the epoch. */
  readonly createdAtMs: number;
  /** Pixel size of the original image. */
  readonly width: number;
  readonly height: number;
  /** MIME type of the original image, detected from its bytes. */
  readonly contentType: string;
  /** Pixel size of the thumbnail. */
  readonly thumbnailWidth: number;
  readonly thumbnailHeight: number;
}

/** One rendition of an image, ready to store or serve. */
export interface StoredImage {
  /** The bytes. */
  readonly data: Buffer;
  /** MIME type of `data`. */
  readonly contentType: string;
  /** Pixel size. */
  readonly width: number;
  readonly height: number;
}

/** One rendition's metadata and byte size, without its bytes. */
export interface StoredImageInfo {
  /** Size of the bytes. */
  readonly size: number;
  /** MIME type of the bytes. */
  readonly contentType: string;
  /** Pixel size. */
  readonly width: number;
  readonly height: number;
}

/** What `create()` did: stored the post (and its event), or found the post its scope created earlier. */
export type CreateOutcome =
  | { readonly created: true; readonly postId: string; readonly entryId: string }
  | { readonly created: false; readonly postId: string; readonly fingerprint: string }
  | { readonly created: false; readonly quota: 'posts' | 'bytes'; readonly used: number };

/** What one author may store: posts, and bytes (original + thumbnail). */
export interface AuthorQuota {
  readonly maxPosts: number;
  readonly maxBytes: number;
}

/** An idempotency scope of {@link PostsRepository.create}. */
export interface CreateScope {
  /** The scope (`create-post:{author}:{key}`, validated). */
  readonly key: string;
  /** Digest of the request, kept with the marker to tell a retry from a reused key. */
  readonly fingerprint: string;
  /** How long the marker is kept (ms). */
  readonly ttlMs: number;
}

/**
 * Stores a post atomically. KEYS: original, thumbnail, meta, post, stream, author quota[, created
 * marker]. ARGV: postId, original bytes, thumbnail bytes, createdAtMs, marker ttl ms, request
 * fingerprint, max posts, max bytes, this post's bytes, n, n meta field/value args, then the post
 * hash field/value args. Returns {1, stream entry id}; {0, "<existing post id> <its fingerprint>"}
 * when the marker says this scope already created a post; {2, "posts|bytes <used>"} when the author
 * is at a quota (nothing written).
 */
const CREATE_POST_SCRIPT = `
local marker = KEYS[7]
if marker then
  local existing = redis.call('GET', marker)
  if existing then return {0, existing} end
end
local used = redis.call('HMGET', KEYS[6], 'posts', 'bytes')
local posts = tonumber(used[1]) or 0
local bytes = tonumber(used[2]) or 0
if posts + 1 > tonumber(ARGV[7]) then return {2, 'posts ' .. posts} end
if bytes + tonumber(ARGV[9]) > tonumber(ARGV[8]) then return {2, 'bytes ' .. bytes} end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[3])
local n = tonumber(ARGV[10])
local meta = {}
for i = 1, n do meta[i] = ARGV[10 + i] end
redis.call('HSET', KEYS[3], unpack(meta))
local post = {}
for i = 11 + n, #ARGV do post[#post + 1] = ARGV[i] end
redis.call('HSET', KEYS[4], unpack(post))
redis.call('HINCRBY', KEYS[6], 'posts', 1)
redis.call('HINCRBY', KEYS[6], 'bytes', ARGV[9])
if marker then redis.call('SET', marker, ARGV[1] .. ' ' .. ARGV[6], 'PX', ARGV[5]) end
local entry = redis.call('XADD', KEYS[5], '*', 'type', 'created', 'postId', ARGV[1], 'createdAtMs', ARGV[4])
return {1, entry}
`;

/**
 * Deletes a post for its author. KEYS: post, original, thumbnail, meta, stream, author quota.
 * ARGV: postId, caller. Returns {0, ''} when there is no such post, {2, author} when the caller is
 * not its author (nothing changed), {1, stream entry id} when it deleted the post hash, both images
 * and their meta, gave the author's quota back (one post, the bytes of both images) and appended a
 * `deleted` event. The quota key is the caller's, checked equal to the author before anything is
 * written.
 */
const DELETE_POST_SCRIPT = `
local author = redis.call('HGET', KEYS[1], 'author')
if not author then return {0, ''} end
if author ~= ARGV[2] then return {2, author} end
local size = redis.call('STRLEN', KEYS[2]) + redis.call('STRLEN', KEYS[3])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
local posts = tonumber(redis.call('HGET', KEYS[6], 'posts')) or 0
local bytes = tonumber(redis.call('HGET', KEYS[6], 'bytes')) or 0
redis.call('HSET', KEYS[6], 'posts', math.max(0, posts - 1), 'bytes', math.max(0, bytes - size))
return {1, redis.call('XADD', KEYS[5], '*', 'type', 'deleted', 'postId', ARGV[1])}
`;

/** What `delete()` did. */
export type DeleteOutcome = { readonly deleted: true; readonly entryId: string } | { readonly deleted: false; readonly reason: 'not-found' } | { readonly deleted: false; readonly reason: 'not-author'; readonly author: string };

/** What `create()` writes. */
export interface NewPost {
  /** The post hash. */
  readonly post: StoredPost;
  /** The uploaded file, byte for byte. */
  readonly original: StoredImage;
  /** The thumbnail made from it. */
  readonly thumbnail: StoredImage;
}

/**
 * Storage of posts and images in Redis (behind Sentinel), with the key layout of docs/platform.md:
 * `failsoft:post:{id}` (hash), `failsoft:image:{id}:original|thumbnail` (bytes),
 * `failsoft:image:{id}:meta` (hash) and the `failsoft:posts` event stream.
 *
 * Redis errors (connection lost, failover in progress, offline queue full, timeouts) surface as
 * {@link StorageUnavailableError}; an unconfirmed durable write as the state library's
 * DurabilityError (`NOT_DURABLE`). Keys are only ever built from validated post ids (posts.keys.ts).
 */
@Injectable()
export class PostsRepository {
  /** @param redis the failover-safe client of @failsoft/state; @param durable its durable writer. */
  constructor(
    @Inject(STATE_REDIS) private readonly redis: StateRedis,
    private readonly durable: DurableWriter,
  ) {}

  /**
   * Stores a post and appends its `created` event, durably.
   *
   * Storage redundancy: Redis runs as a master with 2 replicas behind Sentinel, and this write is
   * acknowledged only once `WAIT` confirms that every online replica (at least one) has it
   * (DurableWriter, `replicas: 'all'`). So the original, the thumbnail and the post exist on at
   * least two nodes before the caller hears "created": SIGKILL of the master right after the reply
   * loses nothing, because whichever replica Sentinel promotes holds the post.
   *
   * Order: everything runs in ONE atomic script: the image bytes, the image meta and the post hash
   * first, the XADD of the event last. A script is applied (and replicated) as a unit, so the feed
   * can never read an event whose post or images are missing, and a failed write leaves no orphan.
   *
   * `scope` (CreatePost with an idempotency key): the script also records which post the scope
   * created, with the request's fingerprint (`failsoft:upload:created:{scope}`, kept `ttlMs`) and,
   * when the scope already created one, writes nothing and returns that post's id and fingerprint. This covers the gap the idempotency store
   * cannot: a write that reached the master but whose WAIT was not confirmed (NOT_DURABLE: the
   * caller retries) is not stored twice by the retry.
   *
   * @throws DurabilityError (`NOT_DURABLE`) when the replicas did not confirm in time (the outcome
   *   is unknown: the caller should retry with its idempotency key); StorageUnavailableError when
   *   Redis cannot be reached.
   */
  async create({ post, original, thumbnail }: NewPost, scope?: CreateScope, quota: AuthorQuota = UNLIMITED): Promise<CreateOutcome> {
    const keys = [imageKey(post.id, 'original'), imageKey(post.id, 'thumbnail'), imageMetaKey(post.id), postKey(post.id), POSTS_STREAM_KEY, quotaKey(post.author)];
    if (scope !== undefined) keys.push(createdMarkerKey(scope.key));
    const meta: RedisArg[] = ['contentType', original.contentType, 'width', original.width, 'height', original.height];
    meta.push('thumbnailContentType', thumbnail.contentType, 'thumbnailWidth', thumbnail.width, 'thumbnailHeight', thumbnail.height);
    const hash: RedisArg[] = ['id', post.id, 'author', post.author, 'caption', post.caption, 'createdAtMs', post.createdAtMs];
    hash.push('width', post.width, 'height', post.height, 'contentType', post.contentType, 'thumbnailWidth', post.thumbnailWidth, 'thumbnailHeight', post.thumbnailHeight);
    const size = original.data.length + thumbnail.data.length;
    const args: RedisArg[] = [post.id, original.data, thumbnail.data, post.createdAtMs, scope?.ttlMs ?? 0, scope?.fingerprint ?? '', quota.maxPosts, quota.maxBytes, size, meta.length, ...meta, ...hash];
    const { result } = await this.storage('store post', () => this.durable.eval<[number, Buffer | string]>(CREATE_POST_SCRIPT, keys, args));
    const value = String(result[1]);
    if (Number(result[0]) === 1) return { created: true, postId: post.id, entryId: value };
    if (Number(result[0]) === 2) {
      const [which, used] = value.split(' ');
      return { created: false, quota: which === 'bytes' ? 'bytes' : 'posts', used: Number(used) };
    }
    const [postId = '', fingerprint = ''] = value.split(' ');
    return { created: false, postId, fingerprint };
  }

  /**
   * Deletes a post if `caller` is its author, atomically (one script): the post hash, both images,
   * their meta, the author's quota use, and a `deleted` event on the stream for the feed. Durable
   * like create(): acknowledged once the replicas confirm.
   *
   * @throws DurabilityError (`NOT_DURABLE`: the outcome is unknown, a retry answers NOT_FOUND if it
   *   was applied); StorageUnavailableError when Redis cannot be reached.
   */
  async delete(id: string, caller: string): Promise<DeleteOutcome> {
    const keys = [postKey(id), imageKey(id, 'original'), imageKey(id, 'thumbnail'), imageMetaKey(id), POSTS_STREAM_KEY, quotaKey(caller)];
    const { result } = await this.storage('delete post', () => this.durable.eval<[number, Buffer | string]>(DELETE_POST_SCRIPT, keys, [id, caller]));
    const value = String(result[1]);
    if (Number(result[0]) === 1) return { deleted: true, entryId: value };
    if (Number(result[0]) === 2) return { deleted: false, reason: 'not-author', author: value };
    return { deleted: false, reason: 'not-found' };
  }

  /** The post with this (validated) id, or undefined when there is none. */
  async getPost(id: string): Promise<StoredPost | undefined> {
    const key = postKey(id);
    const hash = await this.storage('read post', () => this.redis.hgetall(key));
    if (hash['id'] === undefined) return undefined;
    return {
      id: hash['id'],
      author: hash['author'] ?? '',
      caption: hash['caption'] ?? '',
      createdAtMs: toInt(hash['createdAtMs']),
      width: toInt(hash['width']),
      height: toInt(hash['height']),
      contentType: hash['contentType'] ?? '',
      thumbnailWidth: toInt(hash['thumbnailWidth']),
      thumbnailHeight: toInt(hash['thumbnailHeight']),
    };
  }

  /** One rendition of the image of the post with this (validated) id, or undefined when there is none. */
  async getImage(id: string, variant: StoredVariant): Promise<StoredImage | undefined> {
    const fields = variant === 'original' ? ['contentType', 'width', 'height'] : ['thumbnailContentType', 'thumbnailWidth', 'thumbnailHeight'];
    const bytesKey = imageKey(id, variant);
    const metaKey = imageMetaKey(id);
    const replies = await this.storage('read image', () => this.redis.pipeline().getBuffer(bytesKey).hmget(metaKey, ...fields).exec());
    const failed = replies?.find(([error]) => error);
    if (failed?.[0]) throw new StorageUnavailableError('read image', failed[0]);
    const data = replies?.[0]?.[1] as Buffer | null | undefined;
    const [contentType, width, height] = (replies?.[1]?.[1] ?? []) as Array<string | null>;
    if (!data || !contentType) return undefined;
    return { data, contentType, width: toInt(width), height: toInt(height) };
  }

  /**
   * What is known of one rendition before its bytes: type, pixel size and byte size (STRLEN), in
   * one round trip; undefined when the post or its image is missing.
   */
  async imageInfo(id: string, variant: StoredVariant): Promise<StoredImageInfo | undefined> {
    const fields = variant === 'original' ? ['contentType', 'width', 'height'] : ['thumbnailContentType', 'thumbnailWidth', 'thumbnailHeight'];
    const replies = await this.storage('read image', () => this.redis.pipeline().strlen(imageKey(id, variant)).hmget(imageMetaKey(id), ...fields).exec());
    const failed = replies?.find(([error]) => error);
    if (failed?.[0]) throw new StorageUnavailableError('read image', failed[0]);
    const size = Number(replies?.[0]?.[1] ?? 0);
    const [contentType, width, height] = (replies?.[1]?.[1] ?? []) as Array<string | null>;
    if (size <= 0 || !contentType) return undefined;
    return { size, contentType, width: toInt(width), height: toInt(height) };
  }

  /** Bytes `start` … `end` (inclusive) of one rendition (GETRANGE): shorter than asked when the image is gone. */
  async imageRange(id: string, variant: StoredVariant, start: number, end: number): Promise<Buffer> {
    return this.storage('read image', () => this.redis.getrangeBuffer(imageKey(id, variant), start, end));
  }

  /** Runs a Redis operation, turning connection trouble into StorageUnavailableError. */
  private async storage<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      // programming errors and unconfirmed durable writes keep their own identity
      if (isDurabilityError(error) || isStateError(error, 'INVALID_ARGUMENT') || error instanceof TypeError) throw error;
      throw new StorageUnavailableError(operation, error);
    }
  }
}

/** No quota (tests and tools that store directly). */
const UNLIMITED: AuthorQuota = { maxPosts: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER };

/** A stored integer field (0 when absent or not a number). */
function toInt(value: string | null | undefined): number {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : 0;
}
