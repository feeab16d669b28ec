import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, assertObject, show } from '../core/validate';
import { RollingWindow } from './rolling-window';

/** Options of a RetryBudget. */
export interface RetryBudgetOptions {
  /** Retry tokens deposited per original request (0 … 10, default 0.2 = retries ≤ 20% of traffic). */
  readonly ratio?: number;
  /** Retries always allowed per second regardless of traffic (≥ 0, default 10). */
  readonly minRetriesPerSecond?: number;
  /** Window over which requests and retries are counted, in ms (default 10000; multiple of 10). */
  readonly windowMs?: number;
  /** Clock in epoch ms; injectable for tests (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * A retry budget à la Finagle / Linkerd: every original request deposits `ratio` tokens and every
 * retry withdraws one, over a rolling window, plus a floor of `minRetriesPerSecond`:
 *
 * `budget = minRetriesPerSecond × windowSeconds + ratio × requests − retries`
 *
 * so a failing service receives at most `ratio` extra load from retries instead of a retry storm.
 * Share one budget per downstream service across all its calls.
 */
export class RetryBudget {
  /** Tokens deposited per request. */
  readonly ratio: number;
  /** Retries per second always allowed. */
  readonly minRetriesPerSecond: number;
  /** Window in ms. */
  readonly windowMs: number;
  private readonly reserve: number;
  private readonly window: RollingWindow;

  /** @throws InvalidOptionsError naming the bad option. */
  constructor(options: RetryBudgetOptions = {}) {
    assertObject('retryBudget', options);
    this.ratio = assertNumber('retryBudget.ratio', options.ratio ?? 0.2, 0, 10);
    this.minRetriesPerSecond = assertNumber('retryBudget.minRetriesPerSecond', options.minRetriesPerSecond ?? 10, 0, 1_000_000);
    this.windowMs = assertNumber('retryBudget.windowMs', options.windowMs ?? 10_000, 1000, 3_600_000, true);
    if (this.windowMs % 10 !== 0) {
      throw new InvalidOptionsError(`retryBudget.windowMs must be a multiple of 10; got ${show(this.windowMs)}`);
    }
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new InvalidOptionsError(`retryBudget.now must be a function returning epoch ms; got ${show(options.now)}`);
    }
    this.reserve = (this.minRetriesPerSecond * this.windowMs) / 1000;
    this.window = new RollingWindow({ windowMs: this.windowMs, buckets: 10, now: options.now });
  }

  /** Records an original request (deposits `ratio` tokens). Call once per logical call, not per retry. */
  recordRequest(): void {
    this.window.recordRequest();
  }

  /** Retry tokens left right now (≥ 0, may be fractional); exported as a metric. */
  get remaining(): number {
    const value = this.reserve + this.ratio * this.window.count('requests') - this.window.count('retries');
    return value > 0 ? value : 0;
  }

  /** True when a retry would be allowed now (at least one whole token left). */
  canRetry(): boolean {
    return this.remaining >= 1;
  }

  /** Withdraws one token for a retry; false (and nothing withdrawn) when the budget is spent. */
  tryWithdraw(): boolean {
    if (!this.canRetry()) return false;
    this.window.recordRetry();
    return true;
  }

  /** Requests and retries counted in the window (for telemetry). */
  counts(): { readonly requests: number; readonly retries: number } {
    return { requests: this.window.count('requests'), retries: this.window.count('retries') };
  }

  /** Releases the budget (no timers are held; the counts are cleared). */
  shutdown(): void {
    this.window.shutdown();
  }
}
