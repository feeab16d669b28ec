/**
 * Facts of the wire shared by every service and the gateway: where a machine-readable error code
 * travels, the codes services put there, and the shape of ids.
 */

/**
 * Trailing-metadata key in which a service puts the machine code of an error it answers on
 * purpose (see {@link WireErrorCode}), so callers map it without parsing messages.
 */
export const ERROR_CODE_METADATA_KEY = 'x-failsoft-error-code';

/** Image rejections of the upload service (CreatePost). */
export type ImageRejectionCode = 'EMPTY' | 'UNSUPPORTED_TYPE' | 'TOO_LARGE' | 'TOO_MANY_PIXELS' | 'TRUNCATED' | 'CORRUPT';

/** Refusals of the upload service because of the request's content. */
export type UploadRequestErrorCode = 'BAD_AUTHOR' | 'BAD_CAPTION' | 'BAD_IDEMPOTENCY_KEY' | 'IDEMPOTENCY_KEY_REUSED' | 'BAD_POST_ID' | 'BAD_VARIANT' | 'NOT_FOUND' | 'QUOTA_EXCEEDED' | 'NOT_AUTHOR';

/** Refusals of the likes and feed services because of the request's content. */
export type RequestErrorCode = 'INVALID_ID' | 'BATCH_TOO_LARGE' | 'INVALID_CURSOR' | 'INVALID_LIMIT';

/** State trouble (retryable: UNAVAILABLE). */
export type StateErrorCode = 'STATE_UNAVAILABLE' | 'STORAGE_UNAVAILABLE' | 'STORAGE_FULL' | 'NOT_DURABLE' | 'LATE_WRITE';

/** Every machine code a service may put in {@link ERROR_CODE_METADATA_KEY}. */
export type WireErrorCode = ImageRejectionCode | UploadRequestErrorCode | RequestErrorCode | StateErrorCode;

/** Longest user or post id accepted, in characters. */
export const MAX_ID_LENGTH = 128;

/**
 * Ids (users, posts) are 1-128 characters of letters, digits and `. _ : @ -`: enough for UUIDs,
 * ULIDs, base64url ids and user names, and safe inside Redis key names (no spaces, no `{}` hash
 * tags, no `*` patterns).
 */
export const ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;

/** True when `value` is a valid user or post id (see {@link ID_PATTERN}). */
export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** Post ids as the upload service makes them: `p_` and 16 base32 characters. */
export const POST_ID_PATTERN = /^p_[a-z2-7]{16}$/;
