import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, assertObject, assertOneOf, show } from '../core/validate';

/** How randomness spreads retries: none, AWS "full jitter", or AWS "decorrelated jitter". */
export type JitterKind = 'none' | 'full' | 'decorrelated';

/** Computes the pause before a retry. */
export interface Backoff {
  /**
   * Delay in ms before retry number `retry` (1 for the first retry).
   * @param previousDelayMs the delay used before the previous retry (0 before the first).
   */
  delay(retry: number, previousDelayMs: number): number;
}

/** Options of an ExponentialBackoff. */
export interface BackoffOptions {
  /** Base delay in ms (default 50). */
  readonly initialDelayMs?: number;
  /** Cap in ms (default 2000). */
  readonly maxDelayMs?: number;
  /** Growth factor per retry (default 2). */
  readonly multiplier?: number;
  /** Jitter kind (default `full`). */
  readonly jitter?: JitterKind;
  /** Random source in [0, 1); injectable for tests (default `Math.random`). */
  readonly random?: () => number;
}

const JITTERS: readonly JitterKind[] = ['none', 'full', 'decorrelated'];

/**
 * Exponential backoff with jitter (see "Exponential Backoff And Jitter", AWS Architecture Blog):
 * - `none`: `min(max, initial × multiplier^(retry-1))`
 * - `full`: a uniform random delay in `[0, that)` (spreads a retry storm best)
 * - `decorrelated`: `min(max, uniform(initial, previous × multiplier))`
 */
export class ExponentialBackoff implements Backoff {
  /** Base delay in ms. */
  readonly initialDelayMs: number;
  /** Cap in ms. */
  readonly maxDelayMs: number;
  /** Growth factor. */
  readonly multiplier: number;
  /** Jitter kind. */
  readonly jitter: JitterKind;
  private readonly random: () => number;

  /** @throws InvalidOptionsError naming the bad option. */
  constructor(options: BackoffOptions = {}) {
    assertObject('backoff', options);
    this.initialDelayMs = assertNumber('backoff.initialDelayMs', options.initialDelayMs ?? 50, 0, 3_600_000);
    this.maxDelayMs = assertNumber('backoff.maxDelayMs', options.maxDelayMs ?? Math.max(2000, this.initialDelayMs), 0, 3_600_000);
    if (this.maxDelayMs < this.initialDelayMs) {
      throw new InvalidOptionsError(
        `backoff.maxDelayMs must be >= backoff.initialDelayMs (${this.initialDelayMs}); got ${show(this.maxDelayMs)}`,
      );
    }
    this.multiplier = assertNumber('backoff.multiplier', options.multiplier ?? 2, 1, 100);
    this.jitter = assertOneOf('backoff.jitter', options.jitter ?? 'full', JITTERS);
    if (options.random !== undefined && typeof options.random !== 'function') {
      throw new InvalidOptionsError(`backoff.random must be a function returning [0, 1); got ${show(options.random)}`);
    }
    this.random = options.random ?? Math.random;
  }

  /** Delay in ms before retry number `retry` (1-based). */
  delay(retry: number, previousDelayMs: number): number {
    if (this.jitter === 'decorrelated') {
      const upper = Math.max(previousDelayMs, this.initialDelayMs) * this.multiplier;
      return Math.min(this.maxDelayMs, this.initialDelayMs + this.random() * (upper - this.initialDelayMs));
    }
    const ceiling = Math.min(this.maxDelayMs, this.initialDelayMs * Math.pow(this.multiplier, Math.max(0, retry - 1)));
    return this.jitter === 'full' ? this.random() * ceiling : ceiling;
  }
}

/** True when `value` is a Backoff (has a `delay` function) rather than options. */
export function isBackoff(value: unknown): value is Backoff {
  return typeof value === 'object' && value !== null && typeof (value as { delay?: unknown }).delay === 'function';
}
