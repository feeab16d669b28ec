import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidOptionsError } from '../core/sidecar.error';
import { show } from '../core/validate';
import type { MetricsSource } from '../telemetry/metrics';
import type { ReadinessReport } from './readiness';

/** What the admin endpoints need from readiness (a {@link Readiness} fits). */
export interface ReadinessSource {
  /** The current readiness report. */
  report(): ReadinessReport;
}

/** Options of {@link AdminHandlers}. */
export interface AdminHandlersOptions {
  /** Source of `GET /metrics` (a SidecarMetrics or a prom-client Registry). */
  metrics: MetricsSource;
  /** Source of `GET /readyz`. */
  readiness: ReadinessSource;
  /** Source of `GET /snapshot` (omit to answer 404). */
  snapshot?: () => unknown;
}

/** A framework-neutral HTTP response. */
export interface AdminResponse {
  /** HTTP status code. */
  readonly status: number;
  /** Response headers (always a Content-Type). */
  readonly headers: Readonly<Record<string, string>>;
  /** Response body. */
  readonly body: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const ROUTES = ['/livez', '/readyz', '/metrics', '/snapshot'] as const;

/**
 * The admin endpoints as plain functions, so any HTTP stack (node:http via {@link AdminHttpServer},
 * a Nest controller ...) can serve them:
 * `GET /livez` 200 `{status:'ok'}`; `GET /readyz` 200 / 503 with the report (failing checks named);
 * `GET /metrics` Prometheus text; `GET /snapshot` the snapshot as JSON;
 * unknown path 404 and wrong method 405, both as `{error:{code,message}}`.
 */
export class AdminHandlers {
  private readonly options: AdminHandlersOptions;

  /** @throws InvalidOptionsError on bad options. */
  constructor(options: AdminHandlersOptions) {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionsError(`admin options must be an object; got ${show(options)}`);
    if (typeof options.metrics?.metrics !== 'function') {
      throw new InvalidOptionsError(`admin.metrics must have a metrics(): Promise<string> method (a SidecarMetrics or prom-client Registry); got ${show(options.metrics)}`);
    }
    if (typeof options.readiness?.report !== 'function') {
      throw new InvalidOptionsError(`admin.readiness must have a report() method (a Readiness); got ${show(options.readiness)}`);
    }
    if (options.snapshot !== undefined && typeof options.snapshot !== 'function') {
      throw new InvalidOptionsError(`admin.snapshot must be a function; got ${show(options.snapshot)}`);
    }
    this.options = options;
  }

  /** Routes one request (`path` may carry a query string, which is ignored). Never rejects. */
  async handle(method: string, path: string): Promise<AdminResponse> {
    const pathname = path.split('?')[0].replace(/\/+$/, '') || '/';
    if (!(ROUTES as readonly string[]).includes(pathname) || (pathname === '/snapshot' && this.options.snapshot === undefined)) {
      const routes = ROUTES.filter((r) => r !== '/snapshot' || this.options.snapshot !== undefined);
      return errorResponse(404, 'NOT_FOUND', `no endpoint ${JSON.stringify(pathname)}; try ${routes.join(', ')}`);
    }
    if (method !== 'GET' && method !== 'HEAD') {
      return { ...errorResponse(405, 'METHOD_NOT_ALLOWED', `${pathname} accepts GET only; got ${method}`), headers: { 'content-type': JSON_TYPE, allow: 'GET, HEAD' } };
    }
    try {
      switch (pathname) {
        case '/livez':
          return this.livez();
        case '/readyz':
          return this.readyz();
        case '/metrics':
          return await this.metrics();
        default:
          return await this.snapshot();
      }
    } catch (error) {
      return errorResponse(500, 'INTERNAL', `${pathname} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** `GET /livez`: 200 `{status:'ok'}` while the process answers. */
  livez(): AdminResponse {
    return json(200, { status: 'ok' });
  }

  /** `GET /readyz`: 200 when ready, else 503; the body is the readiness report. */
  readyz(): AdminResponse {
    const report = this.options.readiness.report();
    return json(report.ready ? 200 : 503, { status: report.ready ? 'ready' : 'not_ready', ...report });
  }

  /** `GET /metrics`: Prometheus text. */
  async metrics(): Promise<AdminResponse> {
    const source = this.options.metrics;
    return { status: 200, headers: { 'content-type': source.contentType }, body: await source.metrics() };
  }

  /** `GET /snapshot`: the snapshot provider's value as JSON (404 when there is none). */
  async snapshot(): Promise<AdminResponse> {
    if (this.options.snapshot === undefined) return errorResponse(404, 'NOT_FOUND', 'no snapshot provider configured');
    return json(200, await this.options.snapshot());
  }
}

/**
 * A node:http request listener serving {@link AdminHandlers} (use it to mount the endpoints on an
 * existing server).
 */
export function createAdminRequestListener(handlers: AdminHandlers): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handlers.handle(req.method ?? 'GET', req.url ?? '/').then((response) => {
      res.writeHead(response.status, { ...response.headers, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(response.body) });
      res.end(req.method === 'HEAD' ? undefined : response.body);
    });
  };
}

function json(status: number, value: unknown): AdminResponse {
  return { status, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(value) ?? 'null' };
}

function errorResponse(status: number, code: string, message: string): AdminResponse {
  return json(status, { error: { code, message } });
}
