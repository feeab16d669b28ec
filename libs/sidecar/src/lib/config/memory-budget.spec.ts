import { isInvalidOptionsError } from '../core/sidecar.error';
import { readEnvConfig } from './env-config';
import { concurrencyForMemory, memoryLimitEnvSchema } from './memory-budget';

const MiB = 1024 * 1024;

describe('concurrencyForMemory', () => {
  it('fits the work into the usable share of the limit after the reserve', () => {
    // floor((768 x 0.75 - 192) / 30) = floor(12.8)
    expect(concurrencyForMemory({ limitBytes: 768 * MiB, reservedBytes: 192 * MiB, perTaskBytes: 30 * MiB, max: 64 })).toBe(12);
    expect(concurrencyForMemory({ limitBytes: 768 * MiB, reservedBytes: 192 * MiB, perTaskBytes: 30 * MiB, usableShare: 1, max: 64 })).toBe(19);
  });

  it('never admits more than max (also without a known limit) nor fewer than min', () => {
    expect(concurrencyForMemory({ limitBytes: 64 * 1024 * MiB, reservedBytes: 0, perTaskBytes: MiB, max: 64 })).toBe(64);
    expect(concurrencyForMemory({ limitBytes: undefined, reservedBytes: 0, perTaskBytes: MiB, max: 64 })).toBe(64);
    expect(concurrencyForMemory({ limitBytes: 128 * MiB, reservedBytes: 192 * MiB, perTaskBytes: 30 * MiB, max: 64 })).toBe(1);
    expect(concurrencyForMemory({ limitBytes: 128 * MiB, reservedBytes: 192 * MiB, perTaskBytes: 30 * MiB, min: 2, max: 64 })).toBe(2);
  });

  it('rejects bad options naming the option and value', () => {
    const base = { limitBytes: MiB, reservedBytes: 0, perTaskBytes: MiB, max: 4 };
    expect(() => concurrencyForMemory({ ...base, perTaskBytes: 0 })).toThrow('memory.perTaskBytes must be a number >= 1; got 0');
    expect(() => concurrencyForMemory({ ...base, limitBytes: -1 })).toThrow('memory.limitBytes must be a positive number of bytes or undefined; got -1');
    expect(() => concurrencyForMemory({ ...base, min: 5 })).toThrow('memory.min must be an integer from 1 to 4; got 5');
    let error: unknown;
    try {
      concurrencyForMemory({ ...base, usableShare: 2 });
    } catch (e) {
      error = e;
    }
    expect(isInvalidOptionsError(error)).toBe(true);
  });

  it('reads MEMORY_LIMIT_BYTES as bytes (optional), refusing a Kubernetes quantity', () => {
    expect(readEnvConfig(memoryLimitEnvSchema, { MEMORY_LIMIT_BYTES: '805306368' })).toEqual({ MEMORY_LIMIT_BYTES: 805306368 });
    expect(readEnvConfig(memoryLimitEnvSchema, {})).toEqual({ MEMORY_LIMIT_BYTES: undefined });
    expect(() => readEnvConfig(memoryLimitEnvSchema, { MEMORY_LIMIT_BYTES: '768Mi' })).toThrow(/MEMORY_LIMIT_BYTES must be an integer from 16777216 to \d+; got "768Mi"/);
  });
});
