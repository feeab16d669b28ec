import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { Metadata } from '@grpc/grpc-js';
import type { TraceContext } from '../../core/call-scope';
import { MetadataKeys } from '../../core/metadata-keys';
import { parseTraceparent } from '../trace-context';
import { statusLabel } from '../metrics';
import { SpanAttributes } from './span-attributes';
import { ownTraceContext, remoteParent, sidecarTracer, tracingActive } from './tracer';

/** The admission of a served call as its span records it. */
export const ADMITTED = 'admitted';

/**
 * The server span of one incoming gRPC call (kind SERVER, the method's full path), child of the
 * caller's `traceparent`. `admission` is `admitted`, or the refusal reason (BULKHEAD_REJECTED when
 * shed, DRAINING, UNAUTHENTICATED, DEADLINE_EXCEEDED, INJECTED_FAULT).
 */
export class ServerCallTrace {
  private readonly span: Span;
  private readonly recording: boolean;
  /** The span's own trace context (what the handler's call scope and logs carry), if an SDK made one. */
  readonly context: TraceContext | undefined;

  private constructor(metadata: Metadata, path: string, admission: string) {
    const header = metadata.get(MetadataKeys.traceparent)[0];
    const parent = parseTraceparent(typeof header === 'string' ? header : undefined);
    this.span = sidecarTracer().startSpan(path, { kind: SpanKind.SERVER }, remoteParent(parent));
    this.recording = this.span.isRecording();
    this.context = ownTraceContext(this.span, parent);
    if (!this.recording) return;
    this.span.setAttribute(SpanAttributes.rpcSystem, 'grpc');
    this.span.setAttribute(SpanAttributes.rpcMethod, path);
    this.span.setAttribute(SpanAttributes.admission, admission);
    const attempt = metadata.get(MetadataKeys.attempt)[0];
    if (typeof attempt === 'string') this.span.setAttribute(SpanAttributes.attempt, Number(attempt));
  }

  /** The span of an admitted call, or `undefined` when no tracer provider is registered. */
  static start(metadata: Metadata, path: string): ServerCallTrace | undefined {
    return tracingActive() ? new ServerCallTrace(metadata, path, ADMITTED) : undefined;
  }

  /** Records a call refused before its handler ran (a span that starts and ends at once). */
  static refused(metadata: Metadata, path: string, code: number, reason: string | undefined): void {
    if (!tracingActive()) return;
    new ServerCallTrace(metadata, path, reason ?? statusLabel(code)).end(code, undefined, true);
  }

  /** Ends the span with the gRPC status the caller saw. */
  end(code: number, error: unknown, refused = false): void {
    if (this.recording) {
      this.span.setAttribute(SpanAttributes.grpcStatus, code);
      this.span.setAttribute(SpanAttributes.outcome, statusLabel(code));
      if (error !== undefined) this.span.recordException(error instanceof Error ? error : String(error));
      if (code !== 0 || refused) this.span.setStatus({ code: SpanStatusCode.ERROR, message: statusLabel(code) });
    }
    this.span.end();
  }
}
