import type { RedisConnection } from '@failsoft/state';

/**
 * Runs `command` against Redis when the connection is ready, giving up after `budgetMs`: the
 * gateway never waits on a failing-over Redis for longer than a request can afford.
 * @returns the reply, or `undefined` (with the reason in `onSkip`) when Redis is not ready, fails
 *   or does not answer in time. Never throws.
 */
export async function withinBudget<T>(redis: RedisConnection, budgetMs: number, command: (redis: RedisConnection) => Promise<T>, onSkip?: (reason: string) => void): Promise<T | undefined> {
  if (redis.status !== 'ready') {
    onSkip?.(`redis connection is ${redis.status}`);
    return undefined;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      command(redis),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${budgetMs} ms`)), budgetMs);
        timer.unref();
      }),
    ]);
  } catch (error) {
    onSkip?.(error instanceof Error ? error.message : String(error));
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
