import { ProxyTracerProvider, SpanKind, SpanStatusCode, trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { Counter, Gauge, Histogram, register } from 'prom-client';

/**
 * Telemetry of the state library: OpenTelemetry spans for durable writes (with the WAIT result)
 * and lease renewals (no-op API unless a tracer provider is registered), and Prometheus metrics in
 * prom-client's default registry (the sidecar's `/metrics` appends that registry):
 *
 * - `failsoft_durable_write_duration_seconds{outcome}`: time to an acknowledged (or failed) durable write;
 * - `failsoft_durable_write_wait_total{result}`: WAIT outcomes: `acked` (enough replicas), `failed`;
 * - `failsoft_lease_holder{lease,holder}`: 1 while this process holds the lease, else 0;
 * - `failsoft_lease_renewals_total{lease,result}`: renewals `renewed` / `lost` / `error`.
 */

const TRACER = '@failsoft/state';
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface StateMetrics {
  writeSeconds: Histogram<string>;
  waits: Counter<string>;
  holder: Gauge<string>;
  renewals: Counter<string>;
  /** The durable-write series by outcome, bound once (saves `labels()` argument handling per write; prom-client still hashes the labels in `observe`/`inc`). */
  byOutcome: Record<'acked' | 'failed', { seconds: ReturnType<Histogram<string>['labels']>; waits: ReturnType<Counter<string>['labels']> }>;
}

/** The API's no-op provider: what the global proxy hands out while no SDK is registered. */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

let tracerOf: TracerProvider | undefined;
let cachedTracer: Tracer | undefined;

/**
 * The state library's tracer from the provider registered now (one registered later is honoured),
 * kept per provider: `getTracer` builds and looks up a key per call, a cost paid per durable write
 * (the sidecar's `sidecarTracer` does the same; this library cannot import the sidecar).
 * `undefined` while no SDK is registered: the API would only hand out non-recording spans, so none
 * is made (a durable write's span is never a parent of another one's context).
 */
function stateTracer(): Tracer | undefined {
  const global = trace.getTracerProvider();
  const provider = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  if (provider === NOOP_PROVIDER) return undefined;
  if (provider !== tracerOf || cachedTracer === undefined) {
    cachedTracer = provider.getTracer(TRACER);
    tracerOf = provider;
  }
  return cachedTracer;
}

let metrics: StateMetrics | undefined;

/** The metrics, registered on first use (reused when already registered, e.g. by another copy of the library). */
function stateMetrics(): StateMetrics {
  if (metrics !== undefined) return metrics;
  const existing = <T>(name: string): T | undefined => register.getSingleMetric(name) as T | undefined;
  const writeSeconds =
    existing<Histogram<string>>('failsoft_durable_write_duration_seconds') ??
    new Histogram({ name: 'failsoft_durable_write_duration_seconds', help: 'Durable writes (write + WAIT) until acknowledged or failed, in seconds.', labelNames: ['outcome'], buckets: BUCKETS });
  const waits =
    existing<Counter<string>>('failsoft_durable_write_wait_total') ??
    new Counter({ name: 'failsoft_durable_write_wait_total', help: 'WAIT outcomes of durable writes: acked (enough replicas confirmed) or failed.', labelNames: ['result'] });
  metrics = {
    writeSeconds,
    waits,
    holder:
      existing<Gauge<string>>('failsoft_lease_holder') ??
      new Gauge({ name: 'failsoft_lease_holder', help: 'Whether this process holds the lease (1) or not (0), by lease name and holder id.', labelNames: ['lease', 'holder'] }),
    renewals:
      existing<Counter<string>>('failsoft_lease_renewals_total') ??
      new Counter({ name: 'failsoft_lease_renewals_total', help: 'Lease renewals by result: renewed, lost (term gone) or error (Redis failed).', labelNames: ['lease', 'result'] }),
    byOutcome: {
      acked: { seconds: writeSeconds.labels('acked'), waits: waits.labels('acked') },
      failed: { seconds: writeSeconds.labels('failed'), waits: waits.labels('failed') },
    },
  };
  return metrics;
}

/** What a durable write resolves with (the parts telemetry reads). */
interface WaitResult {
  readonly acknowledgedBy: number;
  readonly required: number;
}

/**
 * Runs one durable write (`operation` = the Redis command name) in a CLIENT span
 * `redis durable <OPERATION>` carrying the WAIT result (`failsoft.redis.wait.acked` / `.required`),
 * and records its latency and WAIT outcome.
 */
export async function tracedDurableWrite<T extends WaitResult>(operation: string, write: () => Promise<T>): Promise<T> {
  const span = stateTracer()?.startSpan(`redis durable ${operation}`, { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'redis', 'db.operation.name': operation } });
  const started = performance.now();
  const { acked, failed } = stateMetrics().byOutcome;
  try {
    const result = await write();
    acked.seconds.observe((performance.now() - started) / 1000);
    acked.waits.inc();
    if (span?.isRecording()) {
      span.setAttribute('failsoft.redis.wait.acked', result.acknowledgedBy);
      span.setAttribute('failsoft.redis.wait.required', result.required);
    }
    return result;
  } catch (error) {
    failed.seconds.observe((performance.now() - started) / 1000);
    failed.waits.inc();
    if (span?.isRecording()) {
      const e = error as { acknowledged?: unknown; required?: unknown; code?: unknown };
      if (typeof e.acknowledged === 'number') span.setAttribute('failsoft.redis.wait.acked', e.acknowledged);
      if (typeof e.required === 'number') span.setAttribute('failsoft.redis.wait.required', e.required);
      span.setStatus({ code: SpanStatusCode.ERROR, message: typeof e.code === 'string' ? e.code : String(error) });
    }
    throw error;
  } finally {
    span?.end();
  }
}

/** Runs one lease renewal in a span `lease renew <name>` and records its result and the holder gauge. */
export async function tracedLeaseRenewal(lease: string, holder: string, renew: () => Promise<boolean>): Promise<boolean> {
  const span = stateTracer()?.startSpan(`lease renew ${lease}`, { kind: SpanKind.CLIENT, attributes: { 'failsoft.lease.name': lease, 'failsoft.lease.holder': holder } });
  const m = stateMetrics();
  try {
    const renewed = await renew();
    m.renewals.labels(lease, renewed ? 'renewed' : 'lost').inc();
    m.holder.labels(lease, holder).set(renewed ? 1 : 0);
    if (span?.isRecording()) span.setAttribute('failsoft.lease.renewed', renewed);
    return renewed;
  } catch (error) {
    m.renewals.labels(lease, 'error').inc();
    span?.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
    throw error;
  } finally {
    span?.end();
  }
}

/** Sets the holder gauge of `lease` for `holder` (1 when acquired, 0 when lost or released). */
export function leaseHeld(lease: string, holder: string, held: boolean): void {
  stateMetrics().holder.labels(lease, holder).set(held ? 1 : 0);
}
