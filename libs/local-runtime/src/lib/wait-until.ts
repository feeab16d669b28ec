import { WaitTimeoutError, assertInteger } from './local-runtime.error';

/** Options of {@link waitUntil}. */
export interface WaitUntilOptions {
  /** Give up after this many milliseconds (default 10000). */
  timeoutMs?: number;
  /** Pause between attempts in milliseconds (default 50). */
  intervalMs?: number;
  /** What is being awaited, used in the timeout error (default "condition"). */
  message?: string;
}

/**
 * Resolves after `ms` milliseconds. The timer is deliberately NOT unref()ed: the caller awaits it,
 * and an unref()ed sleep would let a script exit in the middle of its work.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `predicate` until it returns a truthy value (which is returned). Errors thrown by the
 * predicate count as "not yet" and the last one is reported in the timeout error.
 * @throws WaitTimeoutError naming `message`, the timeout and the last error.
 */
export async function waitUntil<T>(predicate: () => T | Promise<T>, options: WaitUntilOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = assertInteger('waitUntil.timeoutMs', options.timeoutMs ?? 10_000, 1);
  const intervalMs = assertInteger('waitUntil.intervalMs', options.intervalMs ?? 50, 1);
  const what = options.message ?? 'condition';
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError === undefined ? '' : `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
      throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`, { cause: lastError });
    }
    await sleep(Math.min(intervalMs, Math.max(1, deadline - Date.now())));
  }
}
