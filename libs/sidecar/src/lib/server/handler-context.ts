import type { Metadata, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import type { CallScope, TraceContext } from '../core/call-scope';
import { MetadataKeys } from '../core/metadata-keys';
import { SidecarError } from '../core/sidecar.error';
import type { Logger } from '../telemetry/logger';
import { continueTrace } from '../telemetry/trace-context';
import type { ServerCallTrace } from '../telemetry/otel/server-call.trace';

/**
 * A cancellation this close to the deadline (ms) is taken as the deadline passing: clients enforce
 * deadlines with their own timer, so their cancel often arrives just before the server's deadline
 * (which starts later, when the call reaches the server).
 */
export const DEADLINE_SLACK_MS = 50;

/** An incoming unary or server-streaming grpc-js call. */
export type ServerSurfaceCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;

/** What a handler knows about the call it serves (second argument of every handler). */
export interface HandlerContext {
  /** Method name as written in the .proto, e.g. `Like`. */
  readonly method: string;
  /** Full gRPC path, e.g. `/failsoft.likes.v1.Likes/Like`. */
  readonly path: string;
  /** Request metadata. */
  readonly metadata: Metadata;
  /** Absolute deadline in epoch ms (`Infinity` when the caller set none). */
  readonly deadline: number;
  /** Aborted when the client cancels or the deadline passes; pass it to any work you start. */
  readonly signal: AbortSignal;
  /** Authenticated caller (service name, or client certificate CN with mTLS). */
  readonly caller: string;
  /** Caller's instance id as it claims it (for logs), if sent. */
  readonly callerInstance: string | undefined;
  /** 0-based attempt number the caller sent (`x-failsoft-attempt`), 0 when absent. */
  readonly attempt: number;
  /** Trace context of this call (a child span of the caller's `traceparent`, or a new trace). */
  readonly trace: TraceContext;
  /** Logger bound to the method and caller (trace ids are added automatically). */
  readonly logger: Logger;
  /** Milliseconds left before the deadline (`Infinity` when none; never negative). */
  remainingMs(): number;
}

/**
 * The per-call object: both the handler's {@link HandlerContext} and the {@link CallScope} that
 * downstream client calls inherit. The signal, trace and logger are created on first use, so a
 * handler that touches none of them costs one allocation.
 */
export class ServerCallContext implements HandlerContext, CallScope {
  private controller: AbortController | undefined;
  private traceValue: TraceContext | undefined;
  private loggerValue: Logger | undefined;
  private finished = false;
  /** The call's OpenTelemetry server span (undefined when no tracer provider is registered). */
  span: ServerCallTrace | undefined;

  /**
   * @param call the grpc-js call.
   * @param method method name.
   * @param path full gRPC path.
   * @param deadline absolute deadline in epoch ms.
   * @param caller authenticated caller.
   * @param baseLogger the server's logger.
   */
  constructor(
    private readonly call: ServerSurfaceCall,
    readonly method: string,
    readonly path: string,
    readonly deadline: number,
    readonly caller: string,
    private readonly baseLogger: Logger,
  ) {}

  /** Request metadata. */
  get metadata(): Metadata {
    return this.call.metadata;
  }

  /** Aborted when the client cancels or the deadline passes (created on first use). */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.call.cancelled) {
        if (!this.finished) this.abort();
      } else {
        this.call.once('cancelled', () => {
          if (!this.finished) this.abort();
        });
      }
    }
    return this.controller.signal;
  }

  /** Child span of the caller's traceparent, or a new trace (created on first use). */
  get trace(): TraceContext {
    if (this.traceValue === undefined) {
      const header = this.call.metadata.get(MetadataKeys.traceparent);
      this.traceValue = continueTrace(typeof header[0] === 'string' ? header[0] : undefined);
    }
    return this.traceValue;
  }

  /** Makes `span` this call's server span: its trace context becomes the call's (logs, downstream calls). */
  adoptSpan(span: ServerCallTrace | undefined): void {
    if (span === undefined) return;
    this.span = span;
    if (span.context !== undefined) this.traceValue = span.context;
  }

  /** The server's logger bound to method and caller (created on first use). */
  get logger(): Logger {
    this.loggerValue ??= this.baseLogger.child({ method: this.method, caller: this.caller });
    return this.loggerValue;
  }

  /** Caller instance id from `x-failsoft-caller-instance`. */
  get callerInstance(): string | undefined {
    const value = this.call.metadata.get(MetadataKeys.callerInstance)[0];
    return typeof value === 'string' ? value : undefined;
  }

  /** Attempt number from `x-failsoft-attempt` (0 when absent or invalid). */
  get attempt(): number {
    const value = this.call.metadata.get(MetadataKeys.attempt)[0];
    const n = typeof value === 'string' ? Number(value) : 0;
    return Number.isInteger(n) && n >= 0 ? n : 0;
  }

  /** Milliseconds left before the deadline (`Infinity` when none). */
  remainingMs(): number {
    return this.deadline === Infinity ? Infinity : Math.max(0, this.deadline - Date.now());
  }

  /** True once the client cancelled or the deadline passed. */
  get cancelled(): boolean {
    return this.call.cancelled || this.controller?.signal.aborted === true;
  }

  /** Marks the call answered: later cancellation events no longer abort the signal. */
  finish(): void {
    this.finished = true;
  }

  private abort(): void {
    const expired = Date.now() >= this.deadline - DEADLINE_SLACK_MS;
    this.controller?.abort(
      expired
        ? new SidecarError('DEADLINE_EXCEEDED', `the deadline of ${this.path} passed while it was being served`)
        : new SidecarError('ABORTED', `the client cancelled ${this.path}`),
    );
  }
}
