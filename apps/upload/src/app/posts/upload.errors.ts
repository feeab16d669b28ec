/**
 * Machine codes of refused requests, sent in the trailing metadata `x-failsoft-error-code` so the
 * gateway can map them to HTTP statuses without parsing messages:
 * - `BAD_AUTHOR`: the author id is missing or not a safe id.
 * - `BAD_CAPTION`: the caption is too long or contains control characters.
 * - `BAD_IDEMPOTENCY_KEY`: the idempotency key is over 200 characters or not printable ASCII.
 * - `IDEMPOTENCY_KEY_REUSED`: the key already created a post from a different caption or image.
 * - `BAD_POST_ID`: a post id that cannot be one of ours (empty, too long, path tricks...).
 * - `BAD_VARIANT`: an unknown image variant.
 * - `NOT_FOUND`: no post with that id.
 * - `QUOTA_EXCEEDED`: the author has as many posts, or as many stored bytes, as one user may.
 * - `NOT_AUTHOR`: DeletePost by someone other than the post's author.
 * Image rejections use the image codes (`EMPTY`, `UNSUPPORTED_TYPE`, `TOO_LARGE`, `TOO_MANY_PIXELS`,
 * `TRUNCATED`, `CORRUPT`), and storage trouble `STORAGE_UNAVAILABLE` / `NOT_DURABLE` (UNAVAILABLE,
 * retryable with the same idempotency key).
 */
import type { UploadRequestErrorCode } from '@failsoft/contracts';

export type { UploadRequestErrorCode };

/**
 * A request the upload service refuses because of its content (answered INVALID_ARGUMENT, or
 * NOT_FOUND for `NOT_FOUND`, PERMISSION_DENIED for `NOT_AUTHOR`). The message is for the caller: what was wrong and what is accepted.
 */
export class UploadRequestError extends Error {
  /** @param code stable code (see {@link UploadRequestErrorCode}); @param message what was wrong and what is accepted. */
  constructor(
    readonly code: UploadRequestErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** True when `error` is an UploadRequestError (optionally of the given code). */
export function isUploadRequestError(error: unknown, code?: UploadRequestErrorCode): error is UploadRequestError {
  return error instanceof UploadRequestError && (code === undefined || error.code === code);
}

/**
 * Redis could not be reached or did not answer (connection lost, failover in progress, offline
 * queue full, command timeout). Answered UNAVAILABLE: the call can be retried (CreatePost with the
 * same idempotency key).
 */
export class StorageUnavailableError extends Error {
  /** Stable code sent to the caller: `STORAGE_FULL` when Redis refused the write at its `maxmemory` (noeviction). */
  readonly code: 'STORAGE_UNAVAILABLE' | 'STORAGE_FULL';

  /** @param operation what was being done (e.g. `read post`); @param cause the Redis error. */
  constructor(
    readonly operation: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const full = /^OOM\b/.test(reason);
    super(
      full
        ? `storage is full (${operation}: Redis is at its maxmemory and refuses writes; nothing was stored, nothing stored before was dropped); an operator must free or add memory`
        : `storage is unavailable (${operation}: ${reason}); retry shortly`,
      { cause },
    );
    this.code = full ? 'STORAGE_FULL' : 'STORAGE_UNAVAILABLE';
    this.name = new.target.name;
  }
}

/** True when `error` is a StorageUnavailableError. */
export function isStorageUnavailableError(error: unknown): error is StorageUnavailableError {
  return error instanceof StorageUnavailableError;
}

/** Quotes a caller's value for a message, cut to `max` characters so messages stay short. */
export function quote(value: unknown, max = 40): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}
