import { status as GrpcStatusEnum } from '@grpc/grpc-js';
import { collectDefaultMetrics, Counter, Gauge, type Histogram, Registry, register as globalRegistry } from 'prom-client';
import { InvalidOptionsError } from '../core/sidecar.error';
import type { CircuitState } from '../policies/circuit-breaker.policy';
import { assertNumber, assertObject, assertString, show } from '../core/validate';
import { AccumulatingCounter, AccumulatingGauge, FastHistogram, type CounterChild, type HistogramChild } from './fast-metrics';

type GaugeChild = { set(value: number): void };

const BREAKER_VALUE: Record<CircuitState, number> = { closed: 0, halfOpen: 1, open: 2 };

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

/** A counter child for `labels` (given in label-name order): a plain record when the metric accumulates. */
function counterChild(metric: Counter<string>, labels: Record<string, string>): CounterChild {
  return metric instanceof AccumulatingCounter ? metric.record(labels) : metric.labels(...Object.values(labels));
}

/** A histogram child for `labels` (given in label-name order): a plain record on the fast histogram. */
function histogramChild(metric: Histogram<string> | FastHistogram, labels: Record<string, string>): HistogramChild {
  return metric instanceof FastHistogram ? metric.record(labels) : metric.labels(...Object.values(labels));
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
 * `failsoft_breaker_state{service,instance}` (0 closed, 1 half-open, 2 open), `failsoft_ejections_total{service,instance}`,
 * `failsoft_client_fallbacks_total{service,method}`, `failsoft_client_failovers_total{service}`;
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
  private readonly clientDuration: Histogram<string> | FastHistogram;
  private readonly clientRetries: Counter<string>;
  private readonly budget: Gauge<string>;
  private readonly breaker: Gauge<string>;
  private readonly ejections: Counter<string>;
  private readonly serverCalls: Counter<string>;
  private readonly serverDuration: Histogram<string> | FastHistogram;
  private readonly inFlight: Gauge<string>;
  private readonly shedTotal: Counter<string>;
  private readonly deadlineRefusedTotal: Counter<string>;
  private readonly unauthenticatedTotal: Counter<string>;
  private readonly faults: Counter<string>;
  private readonly fallbacks: Counter<string>;
  private readonly failovers: Counter<string>;
  private readonly budgetSources = new Map<string, () => number>();

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
    const histogram = (name: string, help: string, labelNames: string[]): Histogram<string> | FastHistogram =>
      (r.getSingleMetric(p + name) as Histogram<string> | FastHistogram | undefined) ?? new FastHistogram({ name: p + name, help, labelNames, buckets, registry: r });
    // per-call series: counted in plain records, published on scrape (a metric registered by someone else is used as it is)
    const hotCounter = (name: string, help: string, labelNames: string[]): Counter<string> =>
      (r.getSingleMetric(p + name) as Counter<string> | undefined) ?? new AccumulatingCounter({ name: p + name, help, labelNames, registers: [r] });

    this.info = gauge('sidecar_info', 'Identity of the process exporting these metrics (always 1).', ['service', 'instance']).labels(service, instance);
    this.info.set(1);
    this.clientCalls = hotCounter('client_calls_total', 'Outgoing gRPC calls by downstream service, method and final status code.', ['service', 'method', 'code']);
    this.clientDuration = histogram('client_call_duration_seconds', 'Latency of outgoing gRPC calls (all attempts included), in seconds.', ['service', 'method']);
    this.clientRetries = counter('client_retries_total', 'Retry attempts sent to a downstream service.', ['service']);
    const budgetSources = this.budgetSources;
    this.budget =
      (r.getSingleMetric(p + 'retry_budget_remaining') as Gauge<string> | undefined) ??
      new Gauge({
        name: p + 'retry_budget_remaining',
        help: 'Retries currently allowed by the retry budget of a downstream service.',
        labelNames: ['service'],
        registers: [r],
        collect(this: Gauge<string>) {
          for (const [service, remaining] of budgetSources) {
            const value = remaining();
            if (Number.isFinite(value)) this.labels(service).set(value);
          }
        },
      });
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
    this.fallbacks = counter('client_fallbacks_total', 'Calls to a downstream service answered by their fallback (degraded data).', ['service', 'method']);
    this.failovers = counter('client_failovers_total', 'Retry attempts sent to another instance of a downstream service after one failed.', ['service']);
    if (options.defaultMetrics === true) collectDefaultMetrics({ register: r, prefix: p });
  }

  /** Content-Type of {@link metrics}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The Prometheus exposition text of the whole registry, followed by prom-client's default
   * registry when it holds metrics (libraries such as @failsoft/state register theirs there).
   */
  async metrics(): Promise<string> {
    const own = await this.registry.metrics();
    if (this.registry === globalRegistry || globalRegistry.getMetricsAsArray().length === 0) return own;
    return `${own.endsWith('\n') ? own : `${own}\n`}${await globalRegistry.metrics()}`;
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

  /** Publishes the retry budget of `service` on every scrape (read from `remaining`). */
  watchRetryBudget(service: string, remaining: () => number): void {
    this.budgetSources.set(service, remaining);
  }

  /** Counts one call of `service` answered by its fallback. */
  clientFallback(service: string, method: string): void {
    this.fallbacks.labels(service, method).inc();
  }

  /** Counts one failover: a retry attempt sent to another instance of `service`. */
  clientFailover(service: string): void {
    this.failovers.labels(service).inc();
  }

  /** Sets the state of the breaker of `instance` (`'*'` for the per-service breaker) of `service`. */
  breakerState(service: string, instance: string, state: CircuitState | 0 | 1 | 2): void {
    const value = typeof state === 'number' ? state : BREAKER_VALUE[state];
    if (value === undefined) throw new InvalidOptionsError(`breaker state must be closed, halfOpen, open or 0-2; got ${show(state)}`);
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
    this.budgetSources.clear();
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
