import { status } from '@grpc/grpc-js';
import { GrpcError } from '@failsoft/sidecar';
import { decodeCursor, encodeCursor } from './feed-cursor';
import { ERROR_CODE_METADATA_KEY } from '@failsoft/contracts';

function rejection(text: string): GrpcError {
  try {
    decodeCursor(text);
  } catch (error) {
    if (error instanceof GrpcError) return error;
    throw error;
  }
  throw new Error(`${text} was accepted`);
}

describe('feed cursor', () => {
  it.each([
    { score: '1700000000123', postId: 'post-1' },
    { score: '0', postId: 'a:b:c' },
    { score: '42', postId: 'user@example.com' },
  ])('round-trips %p and is opaque base64url', (cursor) => {
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(cursor);
  });

  it.each([
    ['not base64!', 'bad characters'],
    [Buffer.from('nocolon').toString('base64url'), 'no score'],
    [Buffer.from('12a:p').toString('base64url'), 'non-numeric score'],
    [Buffer.from('-1:p').toString('base64url'), 'negative score'],
    [Buffer.from('1:bad id').toString('base64url'), 'bad post id'],
    [Buffer.from('1:').toString('base64url'), 'empty post id'],
    [`${encodeCursor({ score: '1', postId: 'p' })}A`, 'trailing garbage'],
    ['A'.repeat(300), 'too long'],
  ])('rejects %p (%s) with INVALID_ARGUMENT, code INVALID_CURSOR', (text) => {
    const error = rejection(text);
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toMatch(/^cursor is malformed: pass next_cursor from a previous GetFeed response unchanged/);
    expect(error.metadata.get(ERROR_CODE_METADATA_KEY)).toEqual(['INVALID_CURSOR']);
  });
});
