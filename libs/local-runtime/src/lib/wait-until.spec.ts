import { isInvalidRuntimeOptionsError, isWaitTimeoutError } from './local-runtime.error';
import { waitUntil } from './wait-until';

describe('waitUntil', () => {
  it('returns the first truthy value of the predicate', async () => {
    let calls = 0;
    const value = await waitUntil(() => (++calls >= 3 ? `done after ${calls}` : undefined), { intervalMs: 1 });
    expect(value).toBe('done after 3');
  });

  it('treats thrown errors as "not yet" and reports the last one on timeout', async () => {
    const error = await waitUntil(
      () => {
        throw new Error('still starting');
      },
      { timeoutMs: 30, intervalMs: 5, message: 'the widget' },
    ).catch((e: unknown) => e);
    expect(isWaitTimeoutError(error)).toBe(true);
    expect((error as Error).message).toMatch(/timed out after 30 ms waiting for the widget; last error: still starting/);
  });

  it('rejects bad options naming the value', async () => {
    const error = await waitUntil(() => true, { timeoutMs: -5 }).catch((e: unknown) => e);
    expect(isInvalidRuntimeOptionsError(error)).toBe(true);
    expect((error as Error).message).toBe('waitUntil.timeoutMs must be an integer >= 1; got -5');
  });
});
