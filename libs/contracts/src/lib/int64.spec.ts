import type { Long } from '@grpc/proto-loader';
import { int64ToNumber } from './int64';
import { isContractsError } from './contracts.error';

describe('int64ToNumber', () => {
  it('reads decimal strings, numbers and Longs', () => {
    expect(int64ToNumber('1700000000123')).toBe(1_700_000_000_123);
    expect(int64ToNumber('-5')).toBe(-5);
    expect(int64ToNumber(7)).toBe(7);
    // a Long (from the `long` package) stringifies to its decimal value
    const long = { toString: () => '9007199254740991' } as unknown as Long;
    expect(int64ToNumber(long)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each(['9007199254740992', '-9007199254740993', '1.5', 'abc', '', 1.5, Number.NaN])('rejects %p with UNSAFE_INT64', (value) => {
    let caught: unknown;
    try {
      int64ToNumber(value, 'likeCount');
    } catch (error) {
      caught = error;
    }
    expect(isContractsError(caught, 'UNSAFE_INT64')).toBe(true);
    expect((caught as Error).message).toMatch(/^likeCount /);
  });
});
