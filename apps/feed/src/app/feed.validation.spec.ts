import { status } from '@grpc/grpc-js';
import { GrpcError } from '@failsoft/sidecar';
import { optionalViewerId, pageLimit } from './feed.validation';

function thrown(fn: () => unknown): GrpcError {
  try {
    fn();
  } catch (error) {
    if (error instanceof GrpcError) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

describe('feed validation', () => {
  it('defaults and bounds page sizes', () => {
    expect(pageLimit(0, 20, 100)).toBe(20);
    expect(pageLimit(1, 20, 100)).toBe(1);
    expect(pageLimit(100, 20, 100)).toBe(100);
    const error = thrown(() => pageLimit(101, 20, 100));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe('limit must be from 0 (default 20) to 100; got 101');
  });

  it('treats an empty viewer id as unset and rejects bad ones', () => {
    expect(optionalViewerId('')).toBeUndefined();
    expect(optionalViewerId('u-1')).toBe('u-1');
    expect(thrown(() => optionalViewerId('u 1')).details).toMatch(/^viewer_id must be 1-128 characters/);
  });
});
