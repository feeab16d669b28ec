/** Where the state library reports background problems (connection errors...). */
export interface StateLogger {
  /** One human-readable line. */
  warn(message: string): void;
}

/** The default logger: one line on stderr, prefixed with `[failsoft/state]`. */
export const stderrLogger: StateLogger = {
  warn(message: string): void {
    process.stderr.write(`[failsoft/state] ${message}\n`);
  },
};

/**
 * Returns an error listener that logs at most one line per `intervalMs`: the first error at once,
 * then, on the first error after the interval, one line with how many were suppressed meanwhile.
 * Timer-free (nothing to shut down), so a reconnect loop can never flood the log.
 */
export function rateLimitedErrorLog(logger: StateLogger, label: string, intervalMs: number): (error: Error) => void {
  let lastLogAt = -Infinity;
  let suppressed = 0;
  return (error: Error) => {
    const now = Date.now();
    if (now - lastLogAt < intervalMs) {
      suppressed++;
      return;
    }
    const extra = suppressed > 0 ? ` (+${suppressed} similar errors in the last ${Math.round((now - lastLogAt) / 1000)} s)` : '';
    suppressed = 0;
    lastLogAt = now;
    try {
      logger.warn(`${label}: ${error?.message ?? String(error)}${extra}`);
    } catch {
      // a broken logger must not break the client
    }
  };
}
