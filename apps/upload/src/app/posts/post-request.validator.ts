import { CONTRACT_LIMITS } from '@failsoft/contracts';
import { POST_ID_PATTERN, type StoredVariant } from './posts.keys';
import { UploadRequestError, quote } from './upload.errors';

/**
 * Author ids: 1-40 characters, letters, digits, `.`, `_`, `-`, starting with a letter or digit.
 * The length keeps the idempotency scope `create-post:{author}:{key}` within the state library's
 * 256-character key limit with a 200-character key; `:` is excluded so the scope is unambiguous.
 */
export const AUTHOR_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;

/** Longest caption, in characters (Unicode code points), after trimming. */
export const CAPTION_MAX_LENGTH = 1000;

/** Idempotency keys: 1-200 printable ASCII characters without spaces. */
export const IDEMPOTENCY_KEY_PATTERN = new RegExp(`^[\\x21-\\x7e]{1,${CONTRACT_LIMITS.idempotencyKeyMaxLength}}$`);

/** Control characters refused in captions: C0 (except line feed), DEL and C1. */
// eslint-disable-next-line no-control-regex
const CAPTION_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/u;

/**
 * Checks the author id of a CreatePost.
 * @throws UploadRequestError `BAD_AUTHOR`.
 */
export function validateAuthor(author: unknown): string {
  if (typeof author !== 'string' || author === '') {
    throw new UploadRequestError('BAD_AUTHOR', 'author is required: a user id of 1-40 letters, digits, ".", "_" or "-"');
  }
  if (!AUTHOR_PATTERN.test(author)) {
    throw new UploadRequestError('BAD_AUTHOR', `author must be a user id of 1-40 letters, digits, ".", "_" or "-" starting with a letter or digit; got ${quote(author)}`);
  }
  return author;
}

/**
 * Normalises a caption: Unicode NFC, CRLF/CR to LF, trimmed. Line feeds are kept (multi-line
 * captions); any other control character is refused, as is a caption over {@link CAPTION_MAX_LENGTH}
 * characters. An empty caption is fine.
 * @throws UploadRequestError `BAD_CAPTION`.
 */
export function normalizeCaption(caption: unknown): string {
  if (caption === undefined || caption === null) return '';
  if (typeof caption !== 'string') throw new UploadRequestError('BAD_CAPTION', `caption must be text; got ${typeof caption}`);
  const text = caption.normalize('NFC').replace(/\r\n?/g, '\n').trim();
  const control = CAPTION_CONTROL.exec(text);
  if (control) {
    const code = control[0].codePointAt(0) ?? 0;
    throw new UploadRequestError(
      'BAD_CAPTION',
      `caption contains a control character (U+${code.toString(16).toUpperCase().padStart(4, '0')}) at position ${control.index}; only printable text and line breaks are accepted`,
    );
  }
  const length = [...text].length;
  if (length > CAPTION_MAX_LENGTH) {
    throw new UploadRequestError('BAD_CAPTION', `caption is ${length} characters long, over the ${CAPTION_MAX_LENGTH}-character limit`);
  }
  return text;
}

/**
 * Checks an idempotency key; `''` (unset) means none.
 * @throws UploadRequestError `BAD_IDEMPOTENCY_KEY`.
 */
export function validateIdempotencyKey(key: unknown): string | undefined {
  if (key === undefined || key === null || key === '') return undefined;
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    const length = typeof key === 'string' ? key.length : 0;
    throw new UploadRequestError(
      'BAD_IDEMPOTENCY_KEY',
      `idempotency_key must be 1-${CONTRACT_LIMITS.idempotencyKeyMaxLength} printable ASCII characters without spaces; got ${length > CONTRACT_LIMITS.idempotencyKeyMaxLength ? `${length} characters` : quote(key)}`,
    );
  }
  return key;
}

/**
 * Checks a post id strictly before any key is built from it: only `p_` + 16 characters `a-z2-7`
 * pass, so `../x`, `%2e%2e`, `a/b`, `p_*`, overlong or empty ids are refused.
 * @throws UploadRequestError `BAD_POST_ID`.
 */
export function validatePostId(postId: unknown): string {
  if (typeof postId !== 'string' || postId === '') {
    throw new UploadRequestError('BAD_POST_ID', 'post_id is required (e.g. "p_abcdefgh234567ab")');
  }
  if (!POST_ID_PATTERN.test(postId)) {
    throw new UploadRequestError('BAD_POST_ID', `post_id must be "p_" followed by 16 characters a-z or 2-7 (e.g. "p_abcdefgh234567ab"); got ${quote(postId)}`);
  }
  return postId;
}

/**
 * Maps the requested ImageVariant (a name as received; unset = ORIGINAL) to the stored rendition.
 * @throws UploadRequestError `BAD_VARIANT` for anything else (e.g. an enum number this version does not know).
 */
export function parseVariant(variant: unknown): StoredVariant {
  if (variant === undefined || variant === null || variant === '' || variant === 'ORIGINAL' || variant === 0) return 'original';
  if (variant === 'THUMBNAIL' || variant === 1) return 'thumbnail';
  throw new UploadRequestError('BAD_VARIANT', `variant must be ORIGINAL or THUMBNAIL; got ${quote(variant)}`);
}
