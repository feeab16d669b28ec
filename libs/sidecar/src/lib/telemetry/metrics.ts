import { status as GrpcStatusEnum } from '@grpc/grpc-js';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, assertObject, assertString, show } from '../core/validate';

/** A circuit breaker state as exported by {@link SidecarMetrics.breakerState} (`halfOpen` is opossum's spelling). */
export type BreakerStateName = 'closed' | 'half-open' | 'halfOpen' | 'open';

const BREAKER_VALUE: Record<BreakerStateName, number> = { closed: 0, 'half-open': 1, halfOpen: 1, open: 2 };

/** Default latency buckets in seconds (0.5 ms … 10 s). */
export const DEFAULT_LATENCY_BUCKETS: readonly number[] = Object.freeze([
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/** Options of {@link SidecarMetrics}. */
export interface SidecarMetricsOptions {
  /** Registry to register into (default: a new one, never prom-client's global registry). */
  registry?: Registry;
  /** Prefix of every metric name (default `failsoft_`). */
  prefix?: string;
  /** This process's service name (exported on `<prefix>sidecar_info`). */
  service: string;
  /** This process's instance id (exported on `<prefix>sidecar_info`). */
  instance: string;
  /** Histogram buckets in seconds (default {@link DEFAULT_LATENCY_BUCKETS}). */
  buckets?: readonly number[];
  /** Also collect prom-client's process/runtime metrics into the registry (default false). */
  defaultMetrics?: boolean;
}

/** Anything that can render Prometheus text (a SidecarMetrics, or a prom-client Registry). */
export interface MetricsSource {
  /** The Prometheus exposition text. */
  metrics(): Promise<string>;
  /** The Content-Type of {@link metrics}. */
  readonly contentType: string;
}

type CounterChild = { inc(value?: number): void };
type HistogramChild = { observe(value: number): void };
type GaugeChild = { set(value: number): void };

/**
 * Hot-path accumulation. prom-client's label children re-validate the labels and rebuild the label
 * hash on every `inc`/`observe` (~1 µs hot, tens of µs with cold caches), so the per-call series
 * (client/server calls and durations, in-flight) are counted in plain records here and published
 * to prom-client in the metric's `collect()`, which prom-client runs before every read (`metrics()`,
 * `getMetricsAsJSON()` ...). Names, labels, types and exported values are unchanged.
 */

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
class AccumulatingCounter extends Counter<string> {
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

  private publish(record: CounterRecord): void {
    if (record.pending === 0) return;
    const value = record.pending;
    record.pending = 0;
    this.inc(record.labels, value);
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
}

/** A Gauge whose `inc` deltas are summed in a number and published on collect. */
class AccumulatingGauge extends Gauge<string> {
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

/** One accumulated histogram series: bucket counts (one slot past the last bound), sum and count not yet published. */
class HistogramRecord implements HistogramChild {
  readonly buckets: number[];
  /** Running sum since the last reset, added value by value (so it is bit-identical to prom-client's). */
  sum = 0;
  /** The sum last published into {@link entry}. */
  publishedSum = 0;
  count = 0;
  /** prom-client's own entry for these labels, once created (forgotten on reset). */
  entry: HistogramEntry | undefined = undefined;
  /** True once observed since the last reset (its series then exists, or is queued in `fresh`). */
  listed = false;

  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: readonly number[],
    private readonly fresh: HistogramRecord[],
  ) {
    this.buckets = new Array<number>(bounds.length + 1).fill(0);
  }

  /** Counts `value` (seconds). @throws TypeError when `value` is not finite (as prom-client). */
  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    if (!this.listed) {
      this.listed = true;
      this.fresh.push(this);
    }
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.buckets[i]++;
    this.sum += value;
    this.count++;
  }
}

/** The shape of prom-client 15's per-label-set histogram state (`hashMap` values). */
interface HistogramEntry {
  labels: Record<string, string>;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

/** A Histogram whose hot path is {@link AccumulatingHistogram.record}; pending observations are published on collect. */
class AccumulatingHistogram extends Histogram<string> {
  private records: Map<string, HistogramRecord> | undefined;
  private bounds: readonly number[] = [];
  /** Records first observed since the last publication, in that order (series appear in first-use order, as with prom-client). */
  private fresh: HistogramRecord[] = [];

  /** The record for `labels` (one per label set, shared by every SidecarMetrics on this metric; callers cache it). */
  record(labels: Record<string, string>): HistogramRecord {
    if (this.records === undefined) {
      this.records = new Map();
      this.bounds = (this as unknown as { upperBounds: readonly number[] }).upperBounds;
    }
    const key = JSON.stringify(Object.values(labels));
    let record = this.records.get(key);
    if (record === undefined) this.records.set(key, (record = new HistogramRecord(labels, this.bounds, this.fresh)));
    return record;
  }

  /** Publishes the pending observations into prom-client's state (prom-client calls this before every read). */
  collect(): void {
    const records = this.records;
    if (records === undefined) return;
    for (const record of this.fresh) this.publish(record);
    this.fresh.length = 0;
    for (const record of records.values()) this.publish(record);
  }

  private publish(record: HistogramRecord): void {
    if (record.count === 0) return;
    const bounds = this.bounds;
    const entry = record.entry ?? this.entryOf(record);
    const buckets = record.buckets;
    // the slot past the last bound only feeds sum and count (+Inf), as in prom-client's observe
    for (let i = 0; i < bounds.length; i++) {
      if (buckets[i] !== 0) {
        entry.bucketValues[bounds[i]] += buckets[i];
        buckets[i] = 0;
      }
    }
    buckets[bounds.length] = 0;
    // the record's running sum is exactly what prom-client's observe would have summed
    entry.sum = entry.sum === record.publishedSum ? record.sum : entry.sum + (record.sum - record.publishedSum);
    record.publishedSum = entry.sum;
    record.sum = entry.sum;
    entry.count += record.count;
    record.count = 0;
  }

  /** Clears the published values and drops the pending ones. */
  override reset(): void {
    super.reset();
    const records = this.records;
    if (records === undefined) return;
    this.fresh.length = 0;
    for (const record of records.values()) {
      record.listed = false;
      record.buckets.fill(0);
      record.sum = 0;
      record.publishedSum = 0;
      record.count = 0;
      record.entry = undefined;
    }
  }

  /** prom-client's entry for the record's labels, created through the public `zero()`. */
  private entryOf(record: HistogramRecord): HistogramEntry {
    const map = (this as unknown as { hashMap: Record<string, HistogramEntry> }).hashMap;
    let entry = Object.values(map).find((e) => e.labels === record.labels || sameLabels(e.labels, record.labels));
    if (entry === undefined) {
      this.zero(record.labels);
      entry = Object.values(map).find((e) => e.labels === record.labels);
      if (entry === undefined) throw new Error(`prom-client histogram ${(this as unknown as { name: string }).name} did not create a series for ${JSON.stringify(record.labels)}`);
    }
    record.entry = entry;
    return entry;
  }
}

/** A counter child for `labels` (given in label-name order): a plain record when the metric accumulates. */
function counterChild(metric: Counter<string>, labels: Record<string, string>): CounterChild {
  return metric instanceof AccumulatingCounter ? metric.record(labels) : metric.labels(...Object.values(labels));
}

/** A histogram child for `labels` (given in label-name order): a plain record when the metric accumulates. */
function histogramChild(metric: Histogram<string>, labels: Record<string, string>): HistogramChild {
  return metric instanceof AccumulatingHistogram ? metric.record(labels) : metric.labels(...Object.values(labels));
}

/** The children of one (service,) method: its duration and one call counter per status code. */
class CallSeries {
  private ok: CounterChild | undefined;
  private readonly byCode = new Map<string, CounterChild>();

  constructor(
    private readonly duration: HistogramChild,
    private readonly counterFor: (code: string) => CounterChild,
  ) {}

  record(code: number | string, seconds: number): void {
    let calls: CounterChild | undefined;
    if (code === 'OK' || code === 0) {
      calls = this.ok ??= this.counterFor('OK');
    } else {
      const label = statusLabel(code);
      calls = this.byCode.get(label);
      if (calls === undefined) this.byCode.set(label, (calls = this.counterFor(label)));
    }
    calls.inc();
    this.duration.observe(seconds);
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) if (a[key] !== b[key]) return false;
  return true;
}

/** gRPC status names indexed by code, so the hot path never formats numbers. */
const STATUS_NAMES: readonly string[] = Array.from({ length: 17 }, (_, code) => String(GrpcStatusEnum[code] ?? code));

/** The label value for a status: the gRPC name for numeric codes (`14` → `UNAVAILABLE`), strings as they are. */
export function statusLabel(code: number | string): string {
  if (typeof code === 'string') return code;
  return STATUS_NAMES[code] ?? String(code);
}

/**
 * Every Prometheus metric the sidecar exports, with cached label children so the hot path costs a
 * map lookup and an increment. Metric names (with the default prefix):
 *
 * client: `failsoft_client_calls_total{service,method,code}`, `failsoft_client_call_duration_seconds{service,method}`,
 * `failsoft_client_retries_total{service}`, `failsoft_retry_budget_remaining{service}`,
 * `failsoft_breaker_state{service,instance}` (0 closed, 1 half-open, 2 open), `failsoft_ejections_total{service,instance}`;
 * server: `failsoft_server_calls_total{method,code}`, `failsoft_server_call_duration_seconds{method}`,
 * `failsoft_server_in_flight`, `failsoft_server_shed_total{method}`, `failsoft_server_deadline_refused_total{method}`,
 * `failsoft_server_unauthenticated_total{method}`, `failsoft_faults_injected_total{method,kind}`;
 * plus `failsoft_sidecar_info{service,instance} 1`.
 *
 * Several SidecarMetrics may share one registry: metrics already registered are reused.
 */
export class SidecarMetrics implements MetricsSource {
  /** The registry holding the metrics. */
  readonly registry: Registry;
  /** The prefix of every metric name. */
  readonly prefix: string;

  private readonly info: GaugeChild;
  private readonly clientCalls: Counter<string>;
  private readonly clientDuration: Histogram<string>;
  private readonly clientRetries: Counter<string>;
  private readonly budget: Gauge<string>;
  private readonly breaker: Gauge<string>;
  private readonly ejections: Counter<string>;
  private readonly serverCalls: Counter<string>;
  private readonly serverDuration: Histogram<string>;
  private readonly inFlight: Gauge<string>;
  private readonly shedTotal: Counter<string>;
  private readonly deadlineRefusedTotal: Counter<string>;
  private readonly unauthenticatedTotal: Counter<string>;
  private readonly faults: Counter<string>;

  private readonly clientSeries = new Map<string, Map<string, CallSeries>>();
  private readonly serverSeries = new Map<string, CallSeries>();
  private readonly byService = new Map<string, { retries: CounterChild; budget: GaugeChild }>();
  private readonly byMethod = new Map<string, { shed: CounterChild; deadline: CounterChild; unauthenticated: CounterChild }>();

  /** @throws InvalidOptionsError on bad options. */
  constructor(options: SidecarMetricsOptions) {
    assertObject('metrics options', options);
    const service = assertString('metrics.service', options.service);
    const instance = assertString('metrics.instance', options.instance);
    const prefix = options.prefix ?? 'failsoft_';
    if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$|^$/.test(prefix)) {
      throw new InvalidOptionsError(`metrics.prefix must be a valid Prometheus name prefix (letters, digits, _ and :); got ${show(prefix)}`);
    }
    if (options.registry !== undefined && !(options.registry instanceof Registry)) {
      throw new InvalidOptionsError(`metrics.registry must be a prom-client Registry; got ${show(options.registry)}`);
    }
    const buckets = options.buckets ?? DEFAULT_LATENCY_BUCKETS;
    if (!Array.isArray(buckets) || buckets.length === 0) {
      throw new InvalidOptionsError(`metrics.buckets must be a non-empty array of increasing numbers; got ${show(buckets)}`);
    }
    buckets.forEach((b, i) => {
      assertNumber(`metrics.buckets[${i}]`, b, 0);
      if (i > 0 && b <= buckets[i - 1]) {
        throw new InvalidOptionsError(`metrics.buckets must be strictly increasing; got ${show(b)} after ${show(buckets[i - 1])} at index ${i}`);
      }
    });
    this.prefix = prefix;
    this.registry = options.registry ?? new Registry();
    const r = this.registry;
    const p = prefix;
    const counter = (name: string, help: string, labelNames: string[]): Counter<string> =>
      (r.getSingleMetric(p + name) as Counter<string> | undefined) ?? new Counter({ name: p + name, help, labelNames, registers: [r] });
    const gauge = (name: string, help: string, labelNames: string[]): Gauge<string> =>
      (r.getSingleMetric(p + name) as Gauge<string> | undefined) ?? new Gauge({ name: p + name, help, labelNames, registers: [r] });
    const histogram = (name: string, help: string, labelNames: string[]): Histogram<string> =>
      (r.getSingleMetric(p + name) as Histogram<string> | undefined) ??
      new AccumulatingHistogram({ name: p + name, help, labelNames, buckets: [...buckets], registers: [r] });
    // per-call series: counted in plain records, published on scrape (a metric registered by someone else is used as it is)
    const hotCounter = (name: string, help: string, labelNames: string[]): Counter<string> =>
      (r.getSingleMetric(p + name) as Counter<string> | undefined) ?? new AccumulatingCounter({ name: p + name, help, labelNames, registers: [r] });

    this.info = gauge('sidecar_info', 'Identity of the process exporting these metrics (always 1).', ['service', 'instance']).labels(service, instance);
    this.info.set(1);
    this.clientCalls = hotCounter('client_calls_total', 'Outgoing gRPC calls by downstream service, method and final status code.', ['service', 'method', 'code']);
    this.clientDuration = histogram('client_call_duration_seconds', 'Latency of outgoing gRPC calls (all attempts included), in seconds.', ['service', 'method']);
    this.clientRetries = counter('client_retries_total', 'Retry attempts sent to a downstream service.', ['service']);
    this.budget = gauge('retry_budget_remaining', 'Retries currently allowed by the retry budget of a downstream service.', ['service']);
    this.breaker = gauge('breaker_state', 'Circuit breaker state: 0 closed, 1 half-open, 2 open (instance "*" = the whole service).', ['service', 'instance']);
    this.ejections = counter('ejections_total', 'Instances ejected by outlier detection.', ['service', 'instance']);
    this.serverCalls = hotCounter('server_calls_total', 'Incoming gRPC calls by method and status code (refused calls included).', ['method', 'code']);
    this.serverDuration = histogram('server_call_duration_seconds', 'Time to answer incoming gRPC calls, in seconds.', ['method']);
    this.inFlight =
      (r.getSingleMetric(p + 'server_in_flight') as Gauge<string> | undefined) ??
      new AccumulatingGauge({ name: p + 'server_in_flight', help: 'Incoming calls being served right now.', labelNames: [], registers: [r] });
    this.shedTotal = counter('server_shed_total', 'Incoming calls shed with RESOURCE_EXHAUSTED because the server was at maxConcurrent.', ['method']);
    this.deadlineRefusedTotal = counter('server_deadline_refused_total', 'Incoming calls refused because their deadline had already passed.', ['method']);
    this.unauthenticatedTotal = counter('server_unauthenticated_total', 'Incoming calls rejected as UNAUTHENTICATED.', ['method']);
    this.faults = counter('faults_injected_total', 'Faults injected into incoming calls by kind (delay, abort).', ['method', 'kind']);
    if (options.defaultMetrics === true) collectDefaultMetrics({ register: r, prefix: p });
  }

  /** Content-Type of {@link metrics}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus exposition text of the whole registry. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** Records one finished outgoing call: `code` is a gRPC status (number or name), `seconds` its latency. */
  clientCall(service: string, method: string, code: number | string, seconds: number): void {
    let byMethod = this.clientSeries.get(service);
    if (byMethod === undefined) this.clientSeries.set(service, (byMethod = new Map()));
    let series = byMethod.get(method);
    if (series === undefined) {
      series = new CallSeries(histogramChild(this.clientDuration, { service, method }), (label) =>
        counterChild(this.clientCalls, { service, method, code: label }),
      );
      byMethod.set(method, series);
    }
    series.record(code, seconds);
  }

  /** Counts one retry attempt sent to `service`. */
  clientRetry(service: string): void {
    this.service(service).retries.inc();
  }

  /** Sets how many retries the budget of `service` currently allows. */
  retryBudgetRemaining(service: string, remaining: number): void {
    this.service(service).budget.set(remaining);
  }

  /** Sets the state of the breaker of `instance` (`'*'` for the per-service breaker) of `service`. */
  breakerState(service: string, instance: string, state: BreakerStateName | 0 | 1 | 2): void {
    const value = typeof state === 'number' ? state : BREAKER_VALUE[state];
    if (value === undefined) throw new InvalidOptionsError(`breaker state must be closed, half-open (halfOpen), open or 0-2; got ${show(state)}`);
    this.breaker.labels(service, instance).set(value);
  }

  /** Counts one ejection of `instance` of `service` by outlier detection. */
  ejection(service: string, instance: string): void {
    this.ejections.labels(service, instance).inc();
  }

  /** Records one finished incoming call (including refused ones). */
  serverCall(method: string, code: number | string, seconds: number): void {
    let series = this.serverSeries.get(method);
    if (series === undefined) {
      series = new CallSeries(histogramChild(this.serverDuration, { method }), (label) => counterChild(this.serverCalls, { method, code: label }));
      this.serverSeries.set(method, series);
    }
    series.record(code, seconds);
  }

  /** Adds `delta` (+1 when a call starts, -1 when it ends) to the in-flight gauge. */
  serverInFlight(delta: number): void {
    const inFlight = this.inFlight;
    if (inFlight instanceof AccumulatingGauge) inFlight.pending += delta;
    else inFlight.inc(delta);
  }

  /** Counts one call shed with RESOURCE_EXHAUSTED. */
  shed(method: string): void {
    this.method(method).shed.inc();
  }

  /** Counts one call refused because its deadline had passed. */
  deadlineRefused(method: string): void {
    this.method(method).deadline.inc();
  }

  /** Counts one call rejected as UNAUTHENTICATED. */
  unauthenticated(method: string): void {
    this.method(method).unauthenticated.inc();
  }

  /** Counts one injected fault of `kind` (`delay` or `abort`). */
  faultInjected(method: string, kind: 'delay' | 'abort'): void {
    this.faults.labels(method, kind).inc();
  }

  /** Resets every value (tests). */
  reset(): void {
    this.registry.resetMetrics();
    this.info.set(1);
  }

  /** Forgets the cached label children (the metrics stay registered). */
  shutdown(): void {
    this.clientSeries.clear();
    this.serverSeries.clear();
    this.byService.clear();
    this.byMethod.clear();
  }

  private service(service: string): { retries: CounterChild; budget: GaugeChild } {
    let children = this.byService.get(service);
    if (children === undefined) {
      children = { retries: this.clientRetries.labels(service), budget: this.budget.labels(service) };
      this.byService.set(service, children);
    }
    return children;
  }

  private method(method: string): { shed: CounterChild; deadline: CounterChild; unauthenticated: CounterChild } {
    let children = this.byMethod.get(method);
    if (children === undefined) {
      children = {
        shed: this.shedTotal.labels(method),
        deadline: this.deadlineRefusedTotal.labels(method),
        unauthenticated: this.unauthenticatedTotal.labels(method),
      };
      this.byMethod.set(method, children);
    }
    return children;
  }
}
