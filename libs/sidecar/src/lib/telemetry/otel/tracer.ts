import { context, isSpanContextValid, ProxyTracerProvider, ROOT_CONTEXT, trace, TraceFlags, type Context, type Span, type Tracer, type TracerProvider } from '@opentelemetry/api';
import type { TraceContext } from '../../core/call-scope';

/**
 * The sidecar's OpenTelemetry tracer, from whatever tracer provider is registered globally: the
 * platform's (see `startTracing`), the user's own, or none (then the API is a no-op and every span
 * below is a non-recording one that costs a few allocations).
 */

/** Instrumentation scope name of every span the sidecar creates. */
export const TRACER_NAME = '@failsoft/sidecar';

const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * True when a tracer provider is registered globally (an SDK: the platform's or the user's own).
 * Checked per call, a few property reads: with none, the sidecar creates no span objects at all.
 */
export function tracingActive(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NOOP_PROVIDER;
}

let tracerOf: TracerProvider | undefined;
let cachedTracer: Tracer | undefined;

/**
 * The tracer of the provider registered now (a provider registered after the client was built is
 * honoured). Kept per provider: `getTracer` builds a key string and looks it up twice, which was
 * the largest single cost of an unsampled call's span (about a tenth of the SDK's time per call).
 */
export function sidecarTracer(): Tracer {
  const global = trace.getTracerProvider();
  const provider = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  if (provider !== tracerOf || cachedTracer === undefined) {
    cachedTracer = provider.getTracer(TRACER_NAME);
    tracerOf = provider;
  }
  return cachedTracer;
}

/**
 * The OpenTelemetry parent context of a span started inside a sidecar call scope: the scope's
 * trace (the server span of the call being served, or the HTTP span), or else whatever context is
 * active (a user's own instrumentation).
 */
export function parentContext(scopeTrace: TraceContext | undefined): Context {
  if (scopeTrace === undefined) return context.active();
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: scopeTrace.traceId, spanId: scopeTrace.spanId, traceFlags: scopeTrace.flags & 0xff, isRemote: false });
}

/** The OpenTelemetry parent context of a W3C trace context received from a caller. */
export function remoteParent(parent: TraceContext | undefined): Context {
  if (parent === undefined) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.flags & 0xff, isRemote: true });
}

/**
 * The sidecar trace context of `span` when an SDK made it a span of its own (a new span id, even
 * when not sampled), or `undefined` under the no-op API (which only echoes the parent's context).
 */
export function ownTraceContext(span: Span, parent: TraceContext | undefined): TraceContext | undefined {
  const sc = span.spanContext();
  if (!isSpanContextValid(sc) || sc.spanId === parent?.spanId) return undefined;
  return { traceId: sc.traceId, spanId: sc.spanId, flags: sc.traceFlags ?? TraceFlags.NONE };
}
