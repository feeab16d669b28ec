/** The classes a finished public API response is counted in. */
export const TRAFFIC_CLASSES = ['requests', 'success', 'degraded', 'rejected', 'error'] as const;

/**
 * `requests`: every response; `success`: 2xx/3xx served whole; `degraded`: 2xx served without a
 * part (`degraded` non-empty); `rejected`: 4xx (bad input, auth, rate limits); `error`: 5xx.
 */
export type TrafficClass = (typeof TRAFFIC_CLASSES)[number];

/** Per-second counts of the last `seconds` seconds, oldest first, one array per class. */
export interface TrafficSeries {
  /** Length of one bucket in ms (1000). */
  readonly bucketMs: number;
  /** Start of the newest bucket (epoch ms); bucket `i` starts at `end - (n - 1 - i) * bucketMs`. */
  readonly end: number;
  /** Counts per class, oldest bucket first (the newest bucket is still filling). */
  readonly counts: Readonly<Record<TrafficClass, readonly number[]>>;
  /** Mean per second over the complete buckets of the last `rateWindowS` seconds. */
  readonly perSecond: Readonly<Record<TrafficClass, number>>;
  /** Seconds averaged in `perSecond`. */
  readonly rateWindowS: number;
}

/** Options of {@link RollingRates}. */
export interface RollingRatesOptions {
  /** Buckets kept (seconds of history, default 60). */
  readonly seconds?: number;
  /** Complete buckets averaged by `perSecond` (default 10). */
  readonly rateWindowS?: number;
  /** Clock in epoch ms (default Date.now; tests pass their own). */
  readonly now?: () => number;
}

const BUCKET_MS = 1000;

/**
 * Counts of finished responses by class in 1-second buckets over a rolling window (a ring
 * indexed by the second). No timer: buckets are rotated lazily when recorded or read, so an idle
 * gateway does no work and nothing holds the process.
 */
export class RollingRates {
  private readonly seconds: number;
  private readonly rateWindowS: number;
  private readonly now: () => number;
  /** Ring of buckets, one counter array per class; `stamps[i]` is the second bucket `i` holds. */
  private readonly buckets: Record<TrafficClass, Float64Array>;
  private readonly stamps: Float64Array;

  /** @throws RangeError naming a bad option. */
  constructor(options: RollingRatesOptions = {}) {
    this.seconds = options.seconds ?? 60;
    if (!Number.isInteger(this.seconds) || this.seconds < 2 || this.seconds > 3600) throw new RangeError(`seconds must be an integer from 2 to 3600; got ${String(options.seconds)}`);
    this.rateWindowS = options.rateWindowS ?? 10;
    if (!Number.isInteger(this.rateWindowS) || this.rateWindowS < 1 || this.rateWindowS >= this.seconds) {
      throw new RangeError(`rateWindowS must be an integer from 1 to ${this.seconds - 1}; got ${String(options.rateWindowS)}`);
    }
    if (options.now !== undefined && typeof options.now !== 'function') throw new RangeError(`now must be a function returning epoch ms; got ${typeof options.now}`);
    this.now = options.now ?? Date.now;
    this.buckets = Object.fromEntries(TRAFFIC_CLASSES.map((c) => [c, new Float64Array(this.seconds)])) as Record<TrafficClass, Float64Array>;
    this.stamps = new Float64Array(this.seconds).fill(-1);
  }

  /** Counts one finished response in `requests` and in its class (`success`, `degraded`, `rejected` or `error`). */
  record(kind: Exclude<TrafficClass, 'requests'>): void {
    const index = this.slot(Math.floor(this.now() / BUCKET_MS));
    this.buckets.requests[index] += 1;
    this.buckets[kind][index] += 1;
  }

  /** The class of a response: its status and whether it was served without a part. */
  static classify(status: number, degraded: boolean): Exclude<TrafficClass, 'requests'> {
    if (status >= 500) return 'error';
    if (status >= 400) return 'rejected';
    return degraded ? 'degraded' : 'success';
  }

  /** The last `seconds` buckets, oldest first, and the recent mean rates. */
  series(): TrafficSeries {
    const second = Math.floor(this.now() / BUCKET_MS);
    const counts = {} as Record<TrafficClass, number[]>;
    const perSecond = {} as Record<TrafficClass, number>;
    for (const kind of TRAFFIC_CLASSES) {
      const values: number[] = [];
      for (let s = second - this.seconds + 1; s <= second; s++) values.push(this.countAt(kind, s));
      counts[kind] = values;
      // complete buckets only: the newest one is still filling
      const recent = values.slice(this.seconds - 1 - this.rateWindowS, this.seconds - 1);
      perSecond[kind] = Math.round((recent.reduce((a, b) => a + b, 0) / this.rateWindowS) * 100) / 100;
    }
    return { bucketMs: BUCKET_MS, end: second * BUCKET_MS, counts, perSecond, rateWindowS: this.rateWindowS };
  }

  private countAt(kind: TrafficClass, second: number): number {
    const index = second % this.seconds;
    return this.stamps[index] === second ? this.buckets[kind][index] : 0;
  }

  /** The ring index of `second`, cleared when it held an older second. */
  private slot(second: number): number {
    const index = second % this.seconds;
    if (this.stamps[index] !== second) {
      this.stamps[index] = second;
      for (const kind of TRAFFIC_CLASSES) this.buckets[kind][index] = 0;
    }
    return index;
  }
}
