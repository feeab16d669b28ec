import { Metadata, status } from '@grpc/grpc-js';
import { GrpcError } from '@failsoft/sidecar';
import { isDurabilityError, isIdempotencyError } from '@failsoft/state';
import { isImageRejectedError } from '../image';
import { ERROR_CODE_METADATA_KEY } from '@failsoft/contracts';
import { isStorageUnavailableError, isUploadRequestError } from './upload.errors';
import { isQueueRejectedError } from './concurrency.limiter';

/** A GrpcError whose trailing metadata carries `x-failsoft-error-code: <code>`. */
export function coded(code: status, machineCode: string, message: string): GrpcError {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_METADATA_KEY, machineCode);
  return new GrpcError(code, message, message, metadata);
}

/**
 * Maps what the upload service throws to the status its callers receive, with the machine code in
 * the trailing metadata `x-failsoft-error-code`:
 * - bad request fields → INVALID_ARGUMENT (`BAD_AUTHOR`, `BAD_CAPTION`, `BAD_IDEMPOTENCY_KEY`, `BAD_POST_ID`, `BAD_VARIANT`);
 * - unknown post → NOT_FOUND (`NOT_FOUND`); an author at a quota → FAILED_PRECONDITION (`QUOTA_EXCEEDED`);
 * - a delete by someone other than the author → PERMISSION_DENIED (`NOT_AUTHOR`);
 * - refused image → INVALID_ARGUMENT with the image code (`EMPTY`, `UNSUPPORTED_TYPE`, `TOO_LARGE`,
 *   `TOO_MANY_PIXELS`, `TRUNCATED`, `CORRUPT`);
 * - idempotency key reused for a different caption or image → INVALID_ARGUMENT (`IDEMPOTENCY_KEY_REUSED`);
 * - Redis unreachable, write not confirmed by the replicas, concurrent run with the same key failed or
 *   still running → UNAVAILABLE (`STORAGE_UNAVAILABLE`, `NOT_DURABLE`, `IDEMPOTENCY_FIRST_RUN_FAILED`,
 *   `IDEMPOTENCY_WAIT_TIMEOUT`): retryable (CreatePost with the same idempotency key);
 * - the image queue full → RESOURCE_EXHAUSTED (`QUEUE_FULL`, retryable elsewhere); the call ended while
 *   its image waited → DEADLINE_EXCEEDED (`EXPIRED_IN_QUEUE`);
 * - anything else is returned unchanged (the sidecar answers INTERNAL and logs it).
 */
export function toGrpcError(error: unknown): unknown {
  if (isQueueRejectedError(error)) return coded(error.code === 'QUEUE_FULL' ? status.RESOURCE_EXHAUSTED : status.DEADLINE_EXCEEDED, error.code, error.message);
  if (isUploadRequestError(error)) {
    if (error.code === 'QUOTA_EXCEEDED') return coded(status.FAILED_PRECONDITION, error.code, error.message);
    if (error.code === 'NOT_AUTHOR') return coded(status.PERMISSION_DENIED, error.code, error.message);
    return coded(error.code === 'NOT_FOUND' ? status.NOT_FOUND : status.INVALID_ARGUMENT, error.code, error.message);
  }
  if (isImageRejectedError(error)) return coded(status.INVALID_ARGUMENT, error.code, error.message);
  if (isIdempotencyError(error)) {
    if (error.code === 'IDEMPOTENCY_KEY_REUSED') {
      return coded(
        status.INVALID_ARGUMENT,
        error.code,
        'this idempotency key already created a post from a different caption or image; use a new key for a new post',
      );
    }
    if (error.code === 'IDEMPOTENCY_FIRST_RUN_FAILED' || error.code === 'IDEMPOTENCY_WAIT_TIMEOUT') {
      return coded(status.UNAVAILABLE, error.code, `${error.message} (retry with the same idempotency key)`);
    }
    return error;
  }
  if (isDurabilityError(error)) {
    if ((error.reason as string) === 'NOT_CONNECTED') {
      return coded(status.UNAVAILABLE, 'STORAGE_UNAVAILABLE', 'storage is unavailable (not connected to the Redis master); retry shortly');
    }
    return coded(
      status.UNAVAILABLE,
      'NOT_DURABLE',
      'the post could not be confirmed on the storage replicas; retry with the same idempotency key',
    );
  }
  if (isStorageUnavailableError(error)) return coded(status.UNAVAILABLE, error.code, error.message);
  return error;
}
