import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { TraceContext } from '../../core/call-scope';
import type { ServiceInstance } from '../../core/instance';
import { isInjectedFault } from '../../faults/injected-fault';
import { ownTraceContext, parentContext, sidecarTracer, tracingActive } from './tracer';
import { SpanAttributes, SpanEvents } from './span-attributes';

/** A breaker state as spans name it (`closed`, `open`, `halfOpen`, or `none` without a breaker). */
export type BreakerStateName = string;

/** What the client needs of a call's trace (a real one, or {@link NOOP_CALL_TRACE} with no SDK). */
export interface CallTrace {
  /**
   * True when the call span records (sampled): then each attempt gets a span of its own through
   * {@link attempt}. False with no SDK, or when the sampler dropped the call: then no attempt span
   * is made (a child of an unsampled span is not sampled either under the SDK's parent-based
   * samplers) and every attempt sends {@link context} downstream.
   */
  readonly recording: boolean;
  /** What attempts of a call that does not record send downstream as `traceparent` (undefined: keep the call scope's). */
  readonly context: TraceContext | undefined;
  /** Starts the span of attempt `attempt` (0 = first) on `instance` (only when {@link recording}). */
  attempt(instance: ServiceInstance, attempt: number, instanceBreaker: BreakerStateName, deadline: number): AttemptSpan;
  /** Ends the call span: `code` is the outcome label (OK, a gRPC status name or a sidecar code). */
  end(code: string, error: unknown, fallbackUsed: boolean, breakerAfter: BreakerStateName): void;
}

/** What the client needs of an attempt's span. */
export interface AttemptSpan {
  /** The trace context to send downstream as `traceparent` (undefined: keep the call scope's). */
  readonly context: TraceContext | undefined;
  /** Ends the attempt span with its outcome and the instance breaker's state after it. */
  end(code: string, error: unknown, breakerAfter: BreakerStateName): void;
}

/** The attempt span when tracing is off: ending it does nothing. */
export const NOOP_ATTEMPT: AttemptSpan = { context: undefined, end: () => undefined };

/** The trace of a call when no tracer provider is registered: nothing is allocated. */
export const NOOP_CALL_TRACE: CallTrace = { recording: false, context: undefined, attempt: () => NOOP_ATTEMPT, end: () => undefined };

/** The trace of one client call: real spans when a tracer provider is registered, else {@link NOOP_CALL_TRACE}. */
export function startCallTrace(service: string, method: string, scopeTrace: TraceContext | undefined, breaker: BreakerStateName): CallTrace {
  return tracingActive() ? new ClientCallTrace(service, method, scopeTrace, breaker) : NOOP_CALL_TRACE;
}

/**
 * The client span of one call through a `ServiceClient` (kind CLIENT, `<service>/<method>`), parent
 * of one span per attempt. Records the outcome, whether a fallback answered, and a
 * `breaker.transition` event when the service breaker changed state during the call.
 */
export class ClientCallTrace implements CallTrace {
  private readonly span: Span;
  /** True when the call span records (sampled): attempts get spans of their own. */
  readonly recording: boolean;
  /** The call span's own trace context (undefined under the no-op API): what unrecorded attempts send. */
  readonly context: TraceContext | undefined;
  private readonly parent: TraceContext | undefined;
  private lastFailure: string | undefined;

  /**
   * @param service downstream service.
   * @param method method name.
   * @param scopeTrace trace of the call being served (the parent), if any.
   * @param breakerBefore the service breaker's state when the call starts.
   */
  constructor(
    private readonly service: string,
    method: string,
    scopeTrace: TraceContext | undefined,
    private readonly breakerBefore: BreakerStateName,
  ) {
    this.parent = scopeTrace;
    this.span = sidecarTracer().startSpan(`${service}/${method}`, { kind: SpanKind.CLIENT }, parentContext(scopeTrace));
    this.recording = this.span.isRecording();
    this.context = ownTraceContext(this.span, scopeTrace);
    if (this.recording) {
      this.span.setAttribute(SpanAttributes.rpcSystem, 'grpc');
      this.span.setAttribute(SpanAttributes.rpcService, service);
      this.span.setAttribute(SpanAttributes.rpcMethod, method);
      this.span.setAttribute(SpanAttributes.breakerState, breakerBefore);
    }
  }

  /** Starts the span of attempt `attempt` (0 = first) on `instance`. */
  attempt(instance: ServiceInstance, attempt: number, instanceBreaker: BreakerStateName, deadline: number): AttemptTrace {
    return new AttemptTrace(this.context ?? this.parent, this.context !== undefined, this.service, instance, attempt, instanceBreaker, deadline, this.lastFailure, (reason) => {
      this.lastFailure = reason;
    });
  }

  /** Ends the call span: `code` is the outcome label (OK, a gRPC status name or a sidecar code). */
  end(code: string, error: unknown, fallbackUsed: boolean, breakerAfter: BreakerStateName): void {
    if (this.recording) {
      this.span.setAttribute(SpanAttributes.outcome, code);
      this.span.setAttribute(SpanAttributes.fallbackUsed, fallbackUsed);
      if (breakerAfter !== this.breakerBefore) {
        this.span.addEvent(SpanEvents.breakerTransition, { [SpanAttributes.breakerScope]: 'service', [SpanAttributes.breakerFrom]: this.breakerBefore, [SpanAttributes.breakerTo]: breakerAfter });
      }
      if (error !== undefined && !fallbackUsed) this.span.setStatus({ code: SpanStatusCode.ERROR, message: code });
    }
    this.span.end();
  }
}

/** The span of one attempt of a client call (kind CLIENT, `<service> attempt`). */
export class AttemptTrace implements AttemptSpan {
  private readonly span: Span;
  private readonly recording: boolean;
  /** The trace context to send downstream as `traceparent` (undefined under the no-op API). */
  readonly context: TraceContext | undefined;

  /** Built by {@link ClientCallTrace.attempt}. */
  constructor(
    parent: TraceContext | undefined,
    parentIsOwn: boolean,
    service: string,
    instance: ServiceInstance,
    attempt: number,
    private readonly breakerBefore: BreakerStateName,
    deadline: number,
    retryReason: string | undefined,
    private readonly onFailure: (reason: string) => void,
  ) {
    this.span = sidecarTracer().startSpan(`${service} attempt`, { kind: SpanKind.CLIENT }, parentContext(parent));
    this.recording = this.span.isRecording();
    this.context = parentIsOwn ? ownTraceContext(this.span, parent) : undefined;
    if (!this.recording) return;
    this.span.setAttribute(SpanAttributes.instance, instance.id);
    this.span.setAttribute(SpanAttributes.zone, instance.zone ?? '');
    this.span.setAttribute(SpanAttributes.serverAddress, instance.address);
    this.span.setAttribute(SpanAttributes.attempt, attempt);
    this.span.setAttribute(SpanAttributes.breakerState, breakerBefore);
    if (deadline !== Infinity) this.span.setAttribute(SpanAttributes.deadlineLeftMs, Math.max(0, Math.round(deadline - Date.now())));
    if (retryReason !== undefined) this.span.setAttribute(SpanAttributes.retryReason, retryReason);
  }

  /** Ends the attempt span with its outcome and the instance breaker's state after it. */
  end(code: string, error: unknown, breakerAfter: BreakerStateName): void {
    if (error !== undefined) this.onFailure(code);
    if (this.recording) {
      this.span.setAttribute(SpanAttributes.outcome, code);
      this.span.setAttribute(SpanAttributes.faultInjected, error !== undefined && isInjectedFault(error));
      if (breakerAfter !== this.breakerBefore) {
        this.span.addEvent(SpanEvents.breakerTransition, { [SpanAttributes.breakerScope]: 'instance', [SpanAttributes.breakerFrom]: this.breakerBefore, [SpanAttributes.breakerTo]: breakerAfter });
      }
      if (error !== undefined) this.span.setStatus({ code: SpanStatusCode.ERROR, message: code });
    }
    this.span.end();
  }
}
