import { status } from '@grpc/grpc-js';
import { GrpcError } from '@failsoft/sidecar';
import { CONTRACT_LIMITS } from '@failsoft/contracts';
import { ERROR_CODE_METADATA_KEY } from '@failsoft/contracts';
import { assertId, assertPostIds, optionalIdempotencyKey, optionalViewerId } from './likes.validation';

/** The GrpcError thrown by `fn`. */
function thrown(fn: () => unknown): GrpcError {
  try {
    fn();
  } catch (error) {
    if (error instanceof GrpcError) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

describe('likes validation', () => {
  it.each(['p1', 'user@example.com', '0190d7a4-5a1b-7c3e-9f00-1a2b3c4d5e6f', 'a:b.c_d-e', 'x'.repeat(128)])('accepts %p', (id) => {
    expect(assertId('post_id', id)).toBe(id);
  });

  it.each([
    ['', /^post_id is required/],
    ['x'.repeat(129), /^post_id is 129 characters long/],
    ['a b', /outside the allowed set/],
    ['{tag}', /outside the allowed set/],
    ['a*', /outside the allowed set/],
    ['é', /outside the allowed set/],
    [42, /^post_id is required/],
  ])('rejects %p with INVALID_ARGUMENT and code INVALID_ID', (id, message) => {
    const error = thrown(() => assertId('post_id', id));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toMatch(message);
    expect(error.metadata.get(ERROR_CODE_METADATA_KEY)).toEqual(['INVALID_ID']);
  });

  it('shortens huge values in messages', () => {
    expect(thrown(() => assertId('user_id', 'y'.repeat(10_000))).details.length).toBeLessThan(200);
  });

  it('de-duplicates post ids in order and bounds the batch', () => {
    expect(assertPostIds(['b', 'a', 'b', 'c', 'a'])).toEqual(['b', 'a', 'c']);
    expect(assertPostIds([])).toEqual([]);
    const tooMany = thrown(() => assertPostIds(Array.from({ length: CONTRACT_LIMITS.countsBatchMax + 1 }, (_, i) => `p${i}`)));
    expect(tooMany.metadata.get(ERROR_CODE_METADATA_KEY)).toEqual(['BATCH_TOO_LARGE']);
    expect(thrown(() => assertPostIds(['ok', '']))).toMatchObject({ details: expect.stringMatching(/^post_ids\[1\] is required/) });
  });

  it('treats an empty viewer id as unset', () => {
    expect(optionalViewerId('')).toBeUndefined();
    expect(optionalViewerId('v1')).toBe('v1');
    expect(thrown(() => optionalViewerId('v 1')).code).toBe(status.INVALID_ARGUMENT);
  });

  it('takes an empty idempotency key as none, and refuses a bad one naming what is accepted', () => {
    expect(optionalIdempotencyKey('')).toBeUndefined();
    expect(optionalIdempotencyKey('like-0b6c0e1e-8f7a')).toBe('like-0b6c0e1e-8f7a');
    for (const bad of ['has space', 'x'.repeat(CONTRACT_LIMITS.idempotencyKeyMaxLength + 1), 'é']) {
      const error = thrown(() => optionalIdempotencyKey(bad));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.metadata.get(ERROR_CODE_METADATA_KEY)).toEqual(['INVALID_IDEMPOTENCY_KEY']);
      expect(error.message).toMatch(new RegExp(`idempotency_key must be 1-${CONTRACT_LIMITS.idempotencyKeyMaxLength} printable ASCII characters`));
    }
  });
});
