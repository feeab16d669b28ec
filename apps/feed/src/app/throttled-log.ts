import type { Logger } from '@failsoft/sidecar';

/**
 * Logs the failures of a background loop without flooding: the first failure of a streak at
 * `warn`, then at most one line per `intervalMs` (with how many were skipped), and one `info`
 * line when it works again.
 */
export class ThrottledLog {
  private failing = false;
  private lastAt = 0;
  private skipped = 0;

  /** @param logger where to write; @param what the loop's name, in messages; @param intervalMs gap between repeated lines. */
  constructor(
    private readonly logger: Logger,
    private readonly what: string,
    private readonly intervalMs = 10_000,
  ) {}

  /** Reports a failure (it will be retried). */
  failure(error: unknown, fields: Record<string, unknown> = {}): void {
    const now = Date.now();
    if (this.failing && now - this.lastAt < this.intervalMs) {
      this.skipped++;
      return;
    }
    this.logger.warn(`${this.what} failed; retrying`, { ...fields, error: error instanceof Error ? error.message : String(error), skipped: this.skipped });
    this.failing = true;
    this.lastAt = now;
    this.skipped = 0;
  }

  /** Reports a success: logs once when a streak of failures ends. */
  success(): void {
    if (!this.failing) return;
    this.failing = false;
    this.skipped = 0;
    this.logger.info(`${this.what} works again`);
  }
}
