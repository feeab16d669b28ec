import { DEFAULT_IMAGE_LIMITS } from './image';
import { defaultUploadOptions, MAX_CONCURRENT_CALLS, maxConcurrentCallsFor } from './upload.options';

const MiB = 1024 * 1024;

describe('maxConcurrentCallsFor (calls served at once within the memory limit)', () => {
  it('fits 3 copies of a largest image per call into 75 % of the limit after a 192 MiB reserve', () => {
    expect(maxConcurrentCallsFor(768 * MiB)).toBe(12); // deploy/k8s: floor((576 - 192) / 30)
    expect(maxConcurrentCallsFor(2048 * MiB)).toBe(44); // floor((1536 - 192) / 30)
    expect(maxConcurrentCallsFor(768 * MiB, 2 * MiB)).toBe(64); // small images: capped at 64
  });

  it('admits one call at least, and 64 (the old fixed value) without a known limit', () => {
    expect(maxConcurrentCallsFor(256 * MiB)).toBe(1);
    expect(maxConcurrentCallsFor(undefined)).toBe(MAX_CONCURRENT_CALLS);
    expect(defaultUploadOptions().maxConcurrentCalls).toBe(MAX_CONCURRENT_CALLS);
  });

  it('never admits more images than the limit can hold (the 768 Mi pod that admitted 64 x 10 MiB)', () => {
    for (const limit of [512, 768, 1024, 4096].map((m) => m * MiB)) {
      const calls = maxConcurrentCallsFor(limit);
      expect(calls * 3 * DEFAULT_IMAGE_LIMITS.maxBytes).toBeLessThanOrEqual(limit);
    }
  });
});
