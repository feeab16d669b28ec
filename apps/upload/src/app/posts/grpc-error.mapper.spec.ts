import { status } from '@grpc/grpc-js';
import { GrpcError } from '@failsoft/sidecar';
import { DurabilityError, IdempotencyError } from '@failsoft/state';
import { ImageRejectedError } from '../image';
import { toGrpcError } from './grpc-error.mapper';
import { StorageUnavailableError, UploadRequestError } from './upload.errors';

/** The mapped error as a GrpcError, with its machine code. */
function mapped(error: unknown): { code: number; machine: unknown; details: string } {
  const result = toGrpcError(error);
  expect(result).toBeInstanceOf(GrpcError);
  const grpc = result as GrpcError;
  return { code: grpc.code, machine: grpc.metadata.get('x-failsoft-error-code')[0], details: grpc.details };
}

describe('toGrpcError', () => {
  it('answers bad input with INVALID_ARGUMENT and its code, unknown posts with NOT_FOUND', () => {
    expect(mapped(new UploadRequestError('BAD_CAPTION', 'caption too long'))).toEqual({ code: status.INVALID_ARGUMENT, machine: 'BAD_CAPTION', details: 'caption too long' });
    expect(mapped(new UploadRequestError('BAD_POST_ID', 'bad id'))).toMatchObject({ code: status.INVALID_ARGUMENT, machine: 'BAD_POST_ID' });
    expect(mapped(new UploadRequestError('NOT_FOUND', 'post p_x not found'))).toMatchObject({ code: status.NOT_FOUND, machine: 'NOT_FOUND' });
    expect(mapped(new UploadRequestError('NOT_AUTHOR', 'not yours'))).toEqual({ code: status.PERMISSION_DENIED, machine: 'NOT_AUTHOR', details: 'not yours' });
    for (const code of ['EMPTY', 'UNSUPPORTED_TYPE', 'TOO_LARGE', 'TOO_MANY_PIXELS', 'TRUNCATED', 'CORRUPT'] as const) {
      expect(mapped(new ImageRejectedError(code, `image ${code}`))).toEqual({ code: status.INVALID_ARGUMENT, machine: code, details: `image ${code}` });
    }
    expect(mapped(new IdempotencyError('IDEMPOTENCY_KEY_REUSED', 'k', 'reused'))).toMatchObject({ code: status.INVALID_ARGUMENT, machine: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('answers storage trouble with UNAVAILABLE (retryable)', () => {
    expect(mapped(new StorageUnavailableError('read post', new Error('Connection is closed.')))).toMatchObject({ code: status.UNAVAILABLE, machine: 'STORAGE_UNAVAILABLE' });
    expect(mapped(new DurabilityError('TIMEOUT', 0, 2, 1000))).toMatchObject({ code: status.UNAVAILABLE, machine: 'NOT_DURABLE' });
    expect(mapped(new DurabilityError('NOT_CONNECTED' as never, 0, 0, 5000))).toMatchObject({ code: status.UNAVAILABLE, machine: 'STORAGE_UNAVAILABLE' });
    expect(mapped(new IdempotencyError('IDEMPOTENCY_WAIT_TIMEOUT', 'k', 'still running'))).toMatchObject({ code: status.UNAVAILABLE, machine: 'IDEMPOTENCY_WAIT_TIMEOUT' });
    expect(mapped(new IdempotencyError('IDEMPOTENCY_FIRST_RUN_FAILED', 'k', 'failed'))).toMatchObject({ code: status.UNAVAILABLE, machine: 'IDEMPOTENCY_FIRST_RUN_FAILED' });
  });

  it('leaves unexpected errors alone (the sidecar answers INTERNAL and logs them)', () => {
    const bug = new TypeError('x is undefined');
    expect(toGrpcError(bug)).toBe(bug);
  });
});
