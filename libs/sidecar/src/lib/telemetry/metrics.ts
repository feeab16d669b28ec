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

  private readonly clientCallChildren = new Map<string, Map<string, Map<string, CounterChild>>>();
  private readonly clientDurationChildren = new Map<string, Map<string, HistogramChild>>();
  private readonly serverCallChildren = new Map<string, Map<string, CounterChild>>();
  private readonly serverDurationChildren = new Map<string, HistogramChild>();
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
      new Histogram({ name: p + name, help, labelNames, buckets: [...buckets], registers: [r] });

    this.info = gauge('sidecar_info', 'Identity of the process exporting these metrics (always 1).', ['service', 'instance']).labels(service, instance);
    this.info.set(1);
    this.clientCalls = counter('client_calls_total', 'Outgoing gRPC calls by downstream service, method and final status code.', ['service', 'method', 'code']);
    this.clientDuration = histogram('client_call_duration_seconds', 'Latency of outgoing gRPC calls (all attempts included), in seconds.', ['service', 'method']);
    this.clientRetries = counter('client_retries_total', 'Retry attempts sent to a downstream service.', ['service']);
    this.budget = gauge('retry_budget_remaining', 'Retries currently allowed by the retry budget of a downstream service.', ['service']);
    this.breaker = gauge('breaker_state', 'Circuit breaker state: 0 closed, 1 half-open, 2 open (instance "*" = the whole service).', ['service', 'instance']);
    this.ejections = counter('ejections_total', 'Instances ejected by outlier detection.', ['service', 'instance']);
    this.serverCalls = counter('server_calls_total', 'Incoming gRPC calls by method and status code (refused calls included).', ['method', 'code']);
    this.serverDuration = histogram('server_call_duration_seconds', 'Time to answer incoming gRPC calls, in seconds.', ['method']);
    this.inFlight = gauge('server_in_flight', 'Incoming calls being served right now.', []);
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
    const label = statusLabel(code);
    let byMethod = this.clientCallChildren.get(service);
    if (byMethod === undefined) this.clientCallChildren.set(service, (byMethod = new Map()));
    let byCode = byMethod.get(method);
    if (byCode === undefined) byMethod.set(method, (byCode = new Map()));
    let calls = byCode.get(label);
    if (calls === undefined) byCode.set(label, (calls = this.clientCalls.labels(service, method, label)));
    calls.inc();
    let durations = this.clientDurationChildren.get(service);
    if (durations === undefined) this.clientDurationChildren.set(service, (durations = new Map()));
    let duration = durations.get(method);
    if (duration === undefined) durations.set(method, (duration = this.clientDuration.labels(service, method)));
    duration.observe(seconds);
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
    const label = statusLabel(code);
    let byCode = this.serverCallChildren.get(method);
    if (byCode === undefined) this.serverCallChildren.set(method, (byCode = new Map()));
    let calls = byCode.get(label);
    if (calls === undefined) byCode.set(label, (calls = this.serverCalls.labels(method, label)));
    calls.inc();
    let duration = this.serverDurationChildren.get(method);
    if (duration === undefined) this.serverDurationChildren.set(method, (duration = this.serverDuration.labels(method)));
    duration.observe(seconds);
  }

  /** Adds `delta` (+1 when a call starts, -1 when it ends) to the in-flight gauge. */
  serverInFlight(delta: number): void {
    this.inFlight.inc(delta);
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
    this.clientCallChildren.clear();
    this.clientDurationChildren.clear();
    this.serverCallChildren.clear();
    this.serverDurationChildren.clear();
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
