import { Metadata, status, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import { runInCallScope } from '../core/call-scope';
import { MetadataKeys } from '../core/metadata-keys';
import type { Logger } from '../telemetry/logger';
import { ServerCallTrace } from '../telemetry/otel/server-call.trace';
import { statusLabel, type SidecarMetrics } from '../telemetry/metrics';
import { INTERNAL_ERROR_DETAILS, mapHandlerError } from './grpc-error';
import { DEADLINE_SLACK_MS, ServerCallContext, type HandlerContext, type ServerSurfaceCall } from './handler-context';
import type { ResponseStream, ServerStreamHandler, UnaryHandler } from './handler.types';
import type { InFlight } from './in-flight';
import { responseStream } from './response-stream';
import type { IncomingCall, MethodInfo, Refusal, ServerPolicy } from './server-policy';

/** How one call is answered: the unary callback, or the stream's end / error. */
interface Answer {
  ok(value: unknown): void;
  fail(code: number, details: string, metadata?: Metadata): void;
}

/** The answer of a unary call: its callback (one object per call, no closures). */
class UnaryAnswer implements Answer {
  constructor(private readonly callback: sendUnaryData<unknown>) {}

  ok(value: unknown): void {
    this.callback(null, value ?? {});
  }

  fail(code: number, details: string, metadata?: Metadata): void {
    this.callback({ code, details, metadata });
  }
}

/** The answer of a server-streaming call: end, or an error status (nothing once the client is gone). */
class StreamAnswer implements Answer {
  constructor(private readonly call: ServerWritableStream<unknown, unknown>) {}

  ok(): void {
    if (!this.call.cancelled) this.call.end();
  }

  fail(code: number, details: string, metadata?: Metadata): void {
    if (!this.call.cancelled) this.call.emit('error', { code, details, metadata });
  }
}

/** A handler of either kind, called with the stream for streaming methods. */
type AnyHandler = (request: unknown, ctx: HandlerContext, stream?: ResponseStream<unknown>) => unknown;

/** What a {@link ServerCallRunner} needs from its server. */
export interface ServerCallRunnerOptions {
  /** The server policies, in order. */
  readonly policies: readonly ServerPolicy[];
  /** The server's in-flight count. */
  readonly inFlight: InFlight;
  /** Where calls are recorded. */
  readonly metrics: SidecarMetrics;
  /** The server's logger. */
  readonly logger: Logger;
  /** Whether to log every call at debug level. */
  readonly debug: boolean;
}

/**
 * Runs every incoming call, unary or server-streaming, the same way: the policies' admission
 * checks, the in-flight count, the policies' preparation (e.g. an injected delay), then the
 * handler inside a call scope; records each outcome in the metrics.
 */
export class ServerCallRunner {
  /** Calls whose handler ran to completion (success or error). */
  served = 0;
  /** Calls whose handler failed. */
  failed = 0;
  /** The policies' `admit`, bound: the hot loop calls functions, not a method looked up on four classes. */
  private readonly admitters: Array<(call: IncomingCall) => Refusal | undefined>;
  private readonly preparers: ServerPolicy[];

  /** @param options the policies and the server's shared parts. */
  constructor(private readonly options: ServerCallRunnerOptions) {
    this.admitters = options.policies.filter((p) => typeof p.admit === 'function').map((p) => (p.admit as NonNullable<ServerPolicy['admit']>).bind(p));
    this.preparers = options.policies.filter((p) => typeof p.prepare === 'function');
  }

  /** The grpc-js entry of a unary method. */
  unary(method: MethodInfo, handler: UnaryHandler) {
    return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
      this.run(call, method, handler as AnyHandler, false, new UnaryAnswer(callback));
    };
  }

  /** The grpc-js entry of a server-streaming method. */
  streaming(method: MethodInfo, handler: ServerStreamHandler) {
    return (call: ServerWritableStream<unknown, unknown>): void => {
      this.run(call, method, handler as AnyHandler, true, new StreamAnswer(call));
    };
  }

  private run(call: ServerSurfaceCall, method: MethodInfo, handler: AnyHandler, streaming: boolean, answer: Answer): void {
    const started = performance.now();
    const incoming: IncomingCall = { surface: call, method, caller: '', deadline: Infinity };
    const admitters = this.admitters;
    for (let i = 0; i < admitters.length; i++) {
      const refusal = admitters[i](incoming);
      if (refusal !== undefined) {
        ServerCallTrace.refused(call.metadata, method.path, refusal.code, refusal.reason);
        this.refuse(method.name, started, answer, refusal);
        return;
      }
    }
    this.options.inFlight.enter();
    this.options.metrics.serverInFlight(1);
    const ctx = new ServerCallContext(call, method.name, method.path, incoming.deadline, incoming.caller, this.options.logger);
    ctx.adoptSpan(ServerCallTrace.start(call.metadata, method.path));
    if (this.preparers.length === 0) this.invoke(ctx, call, started, handler, streaming, answer);
    else this.prepare(0, ctx, call, started, handler, streaming, answer);
  }

  /** Runs the policies' `prepare` from index `from`, then the handler (synchronously while none delays). */
  private prepare(from: number, ctx: ServerCallContext, call: ServerSurfaceCall, started: number, handler: AnyHandler, streaming: boolean, answer: Answer): void {
    for (let i = from; i < this.preparers.length; i++) {
      const pending = (this.preparers[i].prepare as NonNullable<ServerPolicy['prepare']>)(ctx, call);
      if (pending === undefined) continue;
      pending.then(
        (refusal) => {
          if (refusal === undefined) {
            this.prepare(i + 1, ctx, call, started, handler, streaming, answer);
            return;
          }
          answer.fail(refusal.code, refusal.details, reasonTrailer(refusal));
          this.complete(ctx, started, refusal.code);
        },
        (error: unknown) => {
          answer.fail(status.INTERNAL, INTERNAL_ERROR_DETAILS);
          this.complete(ctx, started, status.INTERNAL, error);
        },
      );
      return;
    }
    this.invoke(ctx, call, started, handler, streaming, answer);
  }

  private invoke(ctx: ServerCallContext, call: ServerSurfaceCall, started: number, handler: AnyHandler, streaming: boolean, answer: Answer): void {
    runInCallScope(ctx, () => {
      const onSuccess = (value: unknown): void => {
        this.served += 1;
        // a call cancelled meanwhile (client gone, or deadline answered by grpc-js) is recorded as the client saw it
        const code = call.cancelled ? goneCode(ctx) : status.OK;
        answer.ok(value);
        this.complete(ctx, started, code);
      };
      const onError = (error: unknown): void => {
        this.served += 1;
        this.failed += 1;
        const mapped = mapHandlerError(error);
        const code = call.cancelled ? goneCode(ctx) : mapped.code;
        answer.fail(mapped.code, mapped.details, mapped.metadata);
        this.complete(ctx, started, code, mapped.unexpected ? error : undefined);
      };
      let result: unknown;
      try {
        result = streaming ? handler(call.request, ctx, responseStream(call as ServerWritableStream<unknown, unknown>, ctx)) : handler(call.request, ctx);
      } catch (error) {
        onError(error);
        return;
      }
      if (isPromiseLike(result)) result.then(onSuccess, onError);
      else onSuccess(result);
    });
  }

  private refuse(method: string, started: number, answer: Answer, refusal: Refusal): void {
    const { metrics, logger } = this.options;
    answer.fail(refusal.code, refusal.details, reasonTrailer(refusal));
    metrics.serverCall(method, refusal.code, (performance.now() - started) / 1000);
    if (this.options.debug) logger.debug('call refused', { method, code: statusLabel(refusal.code), reason: refusal.reason });
  }

  private complete(ctx: ServerCallContext, started: number, code: number, error?: unknown): void {
    const { metrics, logger } = this.options;
    ctx.finish();
    ctx.span?.end(code, error);
    metrics.serverInFlight(-1);
    const seconds = (performance.now() - started) / 1000;
    metrics.serverCall(ctx.method, code, seconds);
    if (this.options.debug) logger.debug('call', { method: ctx.method, code: statusLabel(code), ms: Math.round(seconds * 1e4) / 10, caller: ctx.caller });
    if (error !== undefined) logger.error('handler failed', { method: ctx.method, caller: ctx.caller, err: error });
    this.options.inFlight.leave();
  }
}

/** The `x-failsoft-error` trailer naming why a call was refused (none when the refusal has no reason). */
function reasonTrailer(refusal: Refusal): Metadata | undefined {
  if (refusal.reason === undefined) return undefined;
  const metadata = new Metadata();
  metadata.set(MetadataKeys.error, refusal.reason);
  return metadata;
}

/** The status a client saw for a call that ended before its handler answered. */
function goneCode(ctx: ServerCallContext): number {
  return ctx.deadline - DEADLINE_SLACK_MS <= Date.now() ? status.DEADLINE_EXCEEDED : status.CANCELLED;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}
