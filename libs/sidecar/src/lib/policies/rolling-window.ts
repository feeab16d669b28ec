import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, assertObject, show } from '../core/validate';

/** Names of the counters a RollingWindow keeps. */
export type RollingCounter =
  | 'requests'
  | 'successes'
  | 'failures'
  | 'rejects'
  | 'timeouts'
  | 'retries'
  | 'fallbacks'
  | 'latencySumMs'
  | 'latencyCount';

/** What `record()` counts: one of each per call (latency is added for success, failure and timeout). */
export type RollingEvent = 'request' | 'success' | 'failure' | 'reject' | 'timeout' | 'retry' | 'fallback';

/** Per-second rates over the window. */
export interface RollingRates {
  readonly requests: number;
  readonly successes: number;
  readonly failures: number;
  readonly rejects: number;
  readonly timeouts: number;
  readonly retries: number;
  readonly fallbacks: number;
}

const REQUESTS = 0;
const SUCCESSES = 1;
const FAILURES = 2;
const REJECTS = 3;
const TIMEOUTS = 4;
const RETRIES = 5;
const FALLBACKS = 6;
const LATENCY_SUM = 7;
const LATENCY_COUNT = 8;
const FIELDS = 9;

const EVENT_INDEX: Readonly<Record<RollingEvent, number>> = {
  request: REQUESTS,
  success: SUCCESSES,
  failure: FAILURES,
  reject: REJECTS,
  timeout: TIMEOUTS,
  retry: RETRIES,
  fallback: FALLBACKS,
};

const INDEX: Readonly<Record<RollingCounter, number>> = {
  requests: REQUESTS,
  successes: SUCCESSES,
  failures: FAILURES,
  rejects: REJECTS,
  timeouts: TIMEOUTS,
  retries: RETRIES,
  fallbacks: FALLBACKS,
  latencySumMs: LATENCY_SUM,
  latencyCount: LATENCY_COUNT,
};

/** Options of a RollingWindow. */
export interface RollingWindowOptions {
  /** Length of the window in ms (default 10000). */
  readonly windowMs?: number;
  /** Number of buckets the window is divided into (default 10, i.e. 1 s buckets). */
  readonly buckets?: number;
  /** Clock in epoch ms; injectable for tests (default `Date.now`). */
  readonly now?: () => number;
}

/** Totals over the window, plus rates per second. */
export interface RollingWindowSnapshot {
  /** Configured window length in ms. */
  readonly windowMs: number;
  /** Time actually covered by the totals (shorter than `windowMs` right after creation). */
  readonly coveredMs: number;
  readonly requests: number;
  readonly successes: number;
  readonly failures: number;
  readonly rejects: number;
  readonly timeouts: number;
  readonly retries: number;
  readonly fallbacks: number;
  readonly latencySumMs: number;
  readonly latencyCount: number;
  /** Mean latency in ms (0 when nothing was measured). */
  readonly meanLatencyMs: number;
  /** Requests per second over the covered time. */
  readonly requestRate: number;
  /** Successes per second. */
  readonly successRate: number;
  /** Failures per second. */
  readonly errorRate: number;
  /** Rejections per second. */
  readonly rejectRate: number;
  /** Timeouts per second. */
  readonly timeoutRate: number;
  /** Retries per second. */
  readonly retryRate: number;
  /** Fallbacks served per second. */
  readonly fallbackRate: number;
  /** failures / (successes + failures), 0 when there were none. */
  readonly errorRatio: number;
}

/**
 * Bucketed rolling counters (opossum style): the window is a ring of `buckets` slices; recording
 * adds to the current slice and to running totals, and slices that fall out of the window are
 * subtracted when time moves on. Recording and reading totals are O(1) (amortised: at most
 * `buckets` slices are cleared per rotation); no timer is used — time is read from the clock.
 */
export class RollingWindow {
  /** Window length in ms. */
  readonly windowMs: number;
  /** Number of buckets. */
  readonly buckets: number;
  /** Length of one bucket in ms. */
  readonly bucketMs: number;
  private readonly now: () => number;
  private readonly slices: Float64Array;
  private readonly totals = new Float64Array(FIELDS);
  private current = 0;
  private currentStart: number;
  private readonly createdAt: number;

  /** @throws InvalidOptionsError naming the bad option. */
  constructor(options: RollingWindowOptions = {}) {
    assertObject('rollingWindow', options);
    this.windowMs = assertNumber('rollingWindow.windowMs', options.windowMs ?? 10_000, 1, 86_400_000, true);
    this.buckets = assertNumber('rollingWindow.buckets', options.buckets ?? 10, 1, 1000, true);
    if (this.windowMs % this.buckets !== 0) {
      throw new InvalidOptionsError(
        `rollingWindow.windowMs must be a multiple of rollingWindow.buckets (${this.buckets}); got ${show(this.windowMs)}`,
      );
    }
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new InvalidOptionsError(`rollingWindow.now must be a function returning epoch ms; got ${show(options.now)}`);
    }
    this.bucketMs = this.windowMs / this.buckets;
    this.now = options.now ?? Date.now;
    this.slices = new Float64Array(this.buckets * FIELDS);
    this.createdAt = this.now();
    this.currentStart = this.createdAt;
  }

  /**
   * Counts one `event`; `latencyMs`, when given, is added to the latency sum/count.
   * (`record('success', ms)` is the same as `recordSuccess(ms)`.)
   */
  record(event: RollingEvent, latencyMs?: number): void {
    const field = EVENT_INDEX[event];
    if (field === undefined) throw new InvalidOptionsError(`rollingWindow.record event must be one of ${Object.keys(EVENT_INDEX).join(', ')}; got ${show(event)}`);
    this.add(field, 1);
    if (latencyMs !== undefined) this.addLatency(latencyMs);
  }

  /** Counts a fallback served. */
  recordFallback(): void {
    this.add(FALLBACKS, 1);
  }

  /** Counts `n` requests (default 1). */
  recordRequest(n = 1): void {
    this.add(REQUESTS, n);
  }

  /** Counts a success, with its latency when given. */
  recordSuccess(latencyMs?: number): void {
    this.add(SUCCESSES, 1);
    if (latencyMs !== undefined) this.addLatency(latencyMs);
  }

  /** Counts a failure, with its latency when given. */
  recordFailure(latencyMs?: number): void {
    this.add(FAILURES, 1);
    if (latencyMs !== undefined) this.addLatency(latencyMs);
  }

  /** Counts a call rejected without running (open breaker, full bulkhead ...). */
  recordReject(): void {
    this.add(REJECTS, 1);
  }

  /** Counts a timeout. */
  recordTimeout(): void {
    this.add(TIMEOUTS, 1);
  }

  /** Counts `n` retries (default 1). */
  recordRetry(n = 1): void {
    this.add(RETRIES, n);
  }

  /** Adds one latency sample in ms. */
  recordLatency(latencyMs: number): void {
    this.addLatency(latencyMs);
  }

  /** Total of one counter over the window (O(1)). */
  count(counter: RollingCounter): number {
    this.rotate(this.now());
    return this.totals[INDEX[counter]];
  }

  /** Totals and per-second rates over the window. */
  snapshot(): RollingWindowSnapshot {
    const now = this.now();
    this.rotate(now);
    const t = this.totals;
    const covered = Math.min(this.windowMs, (this.buckets - 1) * this.bucketMs + (now - this.currentStart), now - this.createdAt);
    const coveredMs = Math.max(covered, Math.min(this.bucketMs, this.windowMs));
    const perSecond = 1000 / coveredMs;
    const outcomes = t[SUCCESSES] + t[FAILURES];
    return {
      windowMs: this.windowMs,
      coveredMs,
      requests: t[REQUESTS],
      successes: t[SUCCESSES],
      failures: t[FAILURES],
      rejects: t[REJECTS],
      timeouts: t[TIMEOUTS],
      retries: t[RETRIES],
      fallbacks: t[FALLBACKS],
      latencySumMs: Math.max(0, t[LATENCY_SUM]),
      latencyCount: t[LATENCY_COUNT],
      meanLatencyMs: t[LATENCY_COUNT] > 0 ? Math.max(0, t[LATENCY_SUM]) / t[LATENCY_COUNT] : 0,
      requestRate: t[REQUESTS] * perSecond,
      successRate: t[SUCCESSES] * perSecond,
      errorRate: t[FAILURES] * perSecond,
      rejectRate: t[REJECTS] * perSecond,
      timeoutRate: t[TIMEOUTS] * perSecond,
      retryRate: t[RETRIES] * perSecond,
      fallbackRate: t[FALLBACKS] * perSecond,
      errorRatio: outcomes > 0 ? t[FAILURES] / outcomes : 0,
    };
  }

  /** Per-second rates over the window (see `snapshot()` for totals). */
  rates(): RollingRates {
    const s = this.snapshot();
    return {
      requests: s.requestRate,
      successes: s.successRate,
      failures: s.errorRate,
      rejects: s.rejectRate,
      timeouts: s.timeoutRate,
      retries: s.retryRate,
      fallbacks: s.fallbackRate,
    };
  }

  /** Clears every counter. */
  reset(): void {
    this.slices.fill(0);
    this.totals.fill(0);
  }

  /** Releases the window (it holds no timer; the counters are cleared). */
  shutdown(): void {
    this.reset();
  }

  private add(field: number, n: number): void {
    this.rotate(this.now());
    this.slices[this.current * FIELDS + field] += n;
    this.totals[field] += n;
  }

  private addLatency(latencyMs: number): void {
    this.add(LATENCY_SUM, latencyMs);
    this.slices[this.current * FIELDS + LATENCY_COUNT] += 1;
    this.totals[LATENCY_COUNT] += 1;
  }

  /** Moves the current bucket forward to `now`, dropping buckets that left the window. */
  private rotate(now: number): void {
    const elapsed = now - this.currentStart;
    if (elapsed < this.bucketMs) return; // also ignores a clock going backwards
    const steps = Math.floor(elapsed / this.bucketMs);
    if (steps >= this.buckets) {
      this.slices.fill(0);
      this.totals.fill(0);
      this.current = (this.current + steps) % this.buckets;
    } else {
      for (let s = 0; s < steps; s++) {
        this.current = (this.current + 1) % this.buckets;
        const base = this.current * FIELDS;
        for (let f = 0; f < FIELDS; f++) {
          this.totals[f] -= this.slices[base + f];
          this.slices[base + f] = 0;
        }
      }
    }
    this.currentStart += steps * this.bucketMs;
  }
}
