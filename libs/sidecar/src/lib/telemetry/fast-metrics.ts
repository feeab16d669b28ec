import { Counter, Gauge, type Aggregator, type Metric, type Registry } from 'prom-client';

/** One exported value, in the shape prom-client's `get()` returns. */
interface ExportedValue {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName: string;
  /** Always null (no exemplars), as prom-client exports buckets without them. */
  readonly exemplar?: null;
}

/** What `get()` returns, as for prom-client's own metrics (the registry formats it). */
export interface ExportedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly aggregator: Aggregator;
  readonly values: ExportedValue[];
}

/**
 * The hot-path fast path of {@link SidecarMetrics}, kept because the benchmark shows it matters:
 * prom-client's label children re-validate the labels and rebuild the label hash on every
 * `inc`/`observe`. Measured with `measureClientPath` (libs/sidecar/bench/client-path.ts, 3 × 20000
 * calls, 2 cores): the metrics of one client call cost ~0.35 µs with this file and ~1.1 µs with
 * plain prom-client children (counters and histogram), ~0.7 µs with plain histograms only; the
 * server side pays the same again per call.
 *
 * Everything here uses prom-client's public API only: counters and the gauge are accumulated in
 * plain numbers and published with the public `inc()` from the metric's `collect()` hook (which
 * prom-client runs before every read); the histogram is a metric of its own, registered with
 * `registry.registerMetric` and read through `get()`, the contract the registry reads every metric
 * through. Names, labels, types and exported values are those prom-client would export.
 */

/** Something counted: a label set's counter. */
export interface CounterChild {
  inc(value?: number): void;
}

/** Something observed: a label set's histogram. */
export interface HistogramChild {
  observe(value: number): void;
}

/** One accumulated counter series: its labels and the increments not yet published. */
class CounterRecord implements CounterChild {
  pending = 0;
  /** True once counted since the last reset (its series then exists, or is queued in `fresh`). */
  listed = false;

  constructor(
    readonly labels: Record<string, string>,
    private readonly fresh: CounterRecord[],
  ) {}

  inc(value = 1): void {
    if (!this.listed) {
      this.listed = true;
      this.fresh.push(this);
    }
    this.pending += value;
  }
}

/** A Counter whose hot path is {@link AccumulatingCounter.record}; pending increments are published on collect. */
export class AccumulatingCounter extends Counter<string> {
  private records: Map<string, CounterRecord> | undefined;
  /** Records first counted since the last publication, in that order (series appear in first-use order, as with prom-client). */
  private fresh: CounterRecord[] = [];

  /** The record for `labels` (one per label set, shared by every SidecarMetrics on this metric; callers cache it). */
  record(labels: Record<string, string>): CounterRecord {
    const records = (this.records ??= new Map());
    const key = JSON.stringify(Object.values(labels));
    let record = records.get(key);
    if (record === undefined) records.set(key, (record = new CounterRecord(labels, this.fresh)));
    return record;
  }

  /** Publishes the pending increments (prom-client calls this before every read). */
  collect(): void {
    const records = this.records;
    if (records === undefined) return;
    for (const record of this.fresh) this.publish(record);
    this.fresh.length = 0;
    for (const record of records.values()) this.publish(record);
  }

  /** Clears the published values and drops the pending ones. */
  override reset(): void {
    super.reset();
    const records = this.records;
    if (records === undefined) return;
    this.fresh.length = 0;
    for (const record of records.values()) {
      record.pending = 0;
      record.listed = false;
    }
  }

  private publish(record: CounterRecord): void {
    if (record.pending === 0) return;
    const value = record.pending;
    record.pending = 0;
    this.inc(record.labels, value);
  }
}

/** A Gauge whose `inc` deltas are summed in a number and published on collect. */
export class AccumulatingGauge extends Gauge<string> {
  pending = 0;

  /** Publishes the pending delta (prom-client calls this before every read). */
  collect(): void {
    if (this.pending === 0) return;
    const value = this.pending;
    this.pending = 0;
    this.inc(value);
  }

  /** Clears the published value and drops the pending delta. */
  override reset(): void {
    super.reset();
    this.pending = 0;
  }
}

/** One histogram series: counts per bucket (one slot past the last bound), sum and count. */
class HistogramRecord implements HistogramChild {
  readonly buckets: number[];
  sum = 0;
  count = 0;
  /** True once observed since the last reset (its series is then exported). */
  listed = false;

  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: readonly number[],
    private readonly order: HistogramRecord[],
  ) {
    this.buckets = new Array<number>(bounds.length + 1).fill(0);
  }

  /** Counts `value` (seconds). @throws TypeError when `value` is not finite (as prom-client). */
  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    if (!this.listed) {
      this.listed = true;
      this.order.push(this);
    }
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.buckets[i]++;
    // added value by value, in order: the very sum prom-client's observe computes
    this.sum += value;
    this.count++;
  }

  clear(): void {
    this.listed = false;
    this.buckets.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

/** Options of a {@link FastHistogram}. */
export interface FastHistogramOptions {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Strictly increasing upper bounds, in seconds. */
  readonly buckets: readonly number[];
  readonly registry: Registry;
}

/**
 * A Prometheus histogram whose hot path is a plain record per label set. Registered in the
 * registry as a metric of its own and read through `get()`, in prom-client's format
 * (`_bucket{le}` cumulative, `+Inf`, `_sum`, `_count`, series in first-use order).
 */
export class FastHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly labelNames: readonly string[];
  private readonly bounds: readonly number[];
  private readonly records = new Map<string, HistogramRecord>();
  /** Records observed since the last reset, in first-use order. */
  private readonly order: HistogramRecord[] = [];

  /** @param options name, help, label names, buckets and the registry to register in. */
  constructor(options: FastHistogramOptions) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    this.bounds = [...options.buckets];
    options.registry.registerMetric(this as unknown as Metric);
  }

  /** The record for `labels` (one per label set, shared by every SidecarMetrics on this metric; callers cache it). */
  record(labels: Record<string, string>): HistogramChild {
    const key = JSON.stringify(Object.values(labels));
    let record = this.records.get(key);
    if (record === undefined) this.records.set(key, (record = new HistogramRecord(labels, this.bounds, this.order)));
    return record;
  }

  /** The series as prom-client exports a histogram's. */
  async get(): Promise<ExportedMetric> {
    const values: ExportedValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const record of this.order) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += record.buckets[i];
        values.push({ labels: { le: bound, ...record.labels }, value: cumulative, metricName: bucketName, exemplar: null });
      });
      values.push({ labels: { le: '+Inf', ...record.labels }, value: record.count, metricName: bucketName, exemplar: null });
      values.push({ labels: { ...record.labels }, value: record.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...record.labels }, value: record.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** Clears every series. */
  reset(): void {
    for (const record of this.order) record.clear();
    this.order.length = 0;
  }
}
