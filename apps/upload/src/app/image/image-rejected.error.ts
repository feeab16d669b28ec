/**
 * Stable codes of image rejections:
 * - `EMPTY`: no bytes at all.
 * - `UNSUPPORTED_TYPE`: the bytes are not JPEG, PNG, WebP or GIF (whatever the file name says).
 * - `TOO_LARGE`: more bytes than the size cap.
 * - `TOO_MANY_PIXELS`: the declared width × height is over the pixel cap (decompression bombs).
 * - `TRUNCATED`: the header or the data is cut short (e.g. a PNG without IEND, a JPEG without EOI).
 * - `CORRUPT`: the structure is invalid or the image cannot be decoded.
 */
export type ImageRejectedCode = 'EMPTY' | 'UNSUPPORTED_TYPE' | 'TOO_LARGE' | 'TOO_MANY_PIXELS' | 'TRUNCATED' | 'CORRUPT';

/**
 * Raised when an uploaded image is refused. The message is meant for the uploader: it says what
 * was wrong and what is accepted. Branch on `code`, never on the message.
 */
export class ImageRejectedError extends Error {
  /** @param code stable code; @param message what was wrong and what is accepted. */
  constructor(
    readonly code: ImageRejectedCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** True when `error` is an ImageRejectedError (optionally of the given code). */
export function isImageRejectedError(error: unknown, code?: ImageRejectedCode): error is ImageRejectedError {
  return error instanceof ImageRejectedError && (code === undefined || error.code === code);
}
