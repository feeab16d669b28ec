import { POST_ID_PATTERN } from '@failsoft/contracts';
import { randomBytes } from 'node:crypto';

/**
 * Post ids: `p_` + 16 lowercase base32 characters (RFC 4648 alphabet `a-z2-7`) = 80 random bits.
 * Nothing else is ever accepted, so no key is ever built from a caller's text (`../`, `%2e`,
 * slashes, `*`, overlong ids...).
 */
export { POST_ID_PATTERN };

/** Key of the post event stream read by the feed (`XADD failsoft:posts * type created ...`). */
export const POSTS_STREAM_KEY = 'failsoft:posts';

/** Stored renditions of a post's image. */
export type StoredVariant = 'original' | 'thumbnail';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A new random post id (`p_` + 16 base32 characters, 80 bits from the CSPRNG). */
export function newPostId(): string {
  const bytes = randomBytes(10);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return `p_${out}`;
}

/** True when `id` has the exact shape of a post id. */
export function isPostId(id: unknown): id is string {
  return typeof id === 'string' && POST_ID_PATTERN.test(id);
}

/** Refuses to build a key from anything but a well-formed post id (defence in depth behind request validation). */
function checked(id: string): string {
  if (!isPostId(id)) throw new TypeError(`refusing to build a Redis key from a malformed post id ${JSON.stringify(String(id).slice(0, 40))}`);
  return id;
}

/** `failsoft:post:{id}`: hash with id, author, caption, createdAtMs, width, height, contentType, thumbnailWidth, thumbnailHeight. */
export function postKey(id: string): string {
  return `failsoft:post:${checked(id)}`;
}

/** `failsoft:image:{id}:original` / `:thumbnail`: the image bytes. */
export function imageKey(id: string, variant: StoredVariant): string {
  return `failsoft:image:${checked(id)}:${variant}`;
}

/** `failsoft:upload:quota:{author}`: hash with `posts` and `bytes` (original + thumbnail) stored by one author. */
export function quotaKey(author: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(author)) throw new RangeError(`quotaKey: not a validated author id: ${JSON.stringify(author.slice(0, 70))}`);
  return `failsoft:upload:quota:${author}`;
}

/** `failsoft:image:{id}:meta`: hash with contentType, width, height (original) and thumbnailContentType, thumbnailWidth, thumbnailHeight. */
export function imageMetaKey(id: string): string {
  return `failsoft:image:${checked(id)}:meta`;
}

/**
 * `failsoft:upload:created:{scope}`: the id of the post an idempotency scope
 * (`create-post:{author}:{key}`, already validated) created; written in the same atomic script as
 * the post, so a retry after an unconfirmed write finds it instead of storing a second post.
 */
export function createdMarkerKey(scope: string): string {
  return `failsoft:upload:created:${scope}`;
}
