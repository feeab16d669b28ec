import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { TraceContext } from '../../core/call-scope';
import { parseTraceparent } from '../trace-context';
import { SpanAttributes } from './span-attributes';
import { ownTraceContext, remoteParent, sidecarTracer, tracingActive } from './tracer';

/**
 * The server span of one HTTP request (kind SERVER, `<METHOD> <route>`), child of the client's
 * `traceparent` header when it sends a valid one. Its trace context is the request's call scope
 * trace, so the gRPC calls the handler makes are its children.
 */
export class HttpServerTrace {
  private readonly span: Span;
  private readonly recording: boolean;
  /** The span's trace context (undefined under the no-op API). */
  readonly context: TraceContext | undefined;

  private constructor(method: string, route: string, path: string, traceparent: string | undefined) {
    const parent = parseTraceparent(traceparent);
    this.span = sidecarTracer().startSpan(`${method} ${route}`, { kind: SpanKind.SERVER }, remoteParent(parent));
    this.recording = this.span.isRecording();
    this.context = ownTraceContext(this.span, parent);
    if (!this.recording) return;
    this.span.setAttribute(SpanAttributes.httpMethod, method);
    this.span.setAttribute(SpanAttributes.httpRoute, route);
    this.span.setAttribute(SpanAttributes.urlPath, path);
  }

  /** The span of a request, or `undefined` when no tracer provider is registered. */
  static start(method: string, route: string, path: string, traceparent: string | undefined): HttpServerTrace | undefined {
    return tracingActive() ? new HttpServerTrace(method, route, path, traceparent) : undefined;
  }

  /** Ends the span with the response status (5xx marks it an error; 0 = the client went away). */
  end(status: number): void {
    if (this.recording) {
      this.span.setAttribute(SpanAttributes.httpStatus, status);
      if (status >= 500 || status === 0) this.span.setStatus({ code: SpanStatusCode.ERROR, message: status === 0 ? 'client went away' : String(status) });
    }
    this.span.end();
  }
}
