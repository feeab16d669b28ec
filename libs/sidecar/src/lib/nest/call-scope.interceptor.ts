import { Inject, Injectable, Optional, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { runInCallScope } from '../core/call-scope';
import { childSpan, continueTrace, formatTraceparent } from '../telemetry/trace-context';
import { HttpServerTrace } from '../telemetry/otel/http-server.trace';
import { SIDECAR_MODULE_OPTIONS } from './sidecar.constants';
import type { SidecarModuleOptions } from './sidecar.interfaces';

/** Default deadline of an HTTP request handled by a Nest app, ms. */
export const DEFAULT_HTTP_DEADLINE_MS = 10_000;

interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
  method?: string;
  path?: string;
  route?: { path?: string };
}
/** Node's ServerResponse: Express' response is one; a Fastify reply holds it in `raw`. */
interface RawResponse {
  setHeader?(name: string, value: string): unknown;
  once?(event: 'close', listener: () => void): unknown;
  writableFinished?: boolean;
  statusCode?: number;
}
interface HttpResponse extends RawResponse {
  raw?: RawResponse;
}

/**
 * Runs each HTTP request handler inside a sidecar call scope, so every gRPC call it makes
 * inherits a deadline (`x-request-timeout-ms` header capped by the default), the W3C trace
 * (`traceparent` header continued, or a new trace) and cancellation when the client goes away.
 * The response carries the server span's `traceparent`.
 */
@Injectable()
export class CallScopeInterceptor implements NestInterceptor {
  private readonly deadlineMs: number;

  /** @param options module options (`httpDeadlineMs`: deadline of a request when the client sends none). */
  constructor(@Optional() @Inject(SIDECAR_MODULE_OPTIONS) options?: SidecarModuleOptions) {
    this.deadlineMs = options?.httpDeadlineMs ?? DEFAULT_HTTP_DEADLINE_MS;
  }

  /** Wraps the handler in a call scope (HTTP only; other contexts pass through). */
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const req = http.getRequest<HttpRequest>();
    const reply = http.getResponse<HttpResponse>();
    const res: RawResponse = reply.raw ?? reply;
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const span = HttpServerTrace.start(req.method ?? 'GET', req.route?.path ?? req.path ?? '/', req.path ?? '/', header('traceparent'));
    const trace = span?.context ?? childSpan(continueTrace(header('traceparent')));
    const asked = Number(header('x-request-timeout-ms'));
    const timeoutMs = Number.isFinite(asked) && asked > 0 ? Math.min(asked, this.deadlineMs) : this.deadlineMs;
    const abort = new AbortController();
    // The response (not the request: its 'close' fires once the body is read) closing before it
    // finished means the client went away: cancel the downstream work.
    res.once?.('close', () => {
      if (!res.writableFinished) abort.abort();
      span?.end(res.writableFinished ? (res.statusCode ?? 200) : 0);
    });
    res.setHeader?.('traceparent', formatTraceparent(trace));
    const scope = { deadline: Date.now() + timeoutMs, trace, signal: abort.signal };
    return new Observable((subscriber) => runInCallScope(scope, () => next.handle().subscribe(subscriber)));
  }
}
