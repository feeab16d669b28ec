import { BadRequestException, Catch, HttpException, Injectable, NotFoundException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { Sidecar } from '@failsoft/sidecar';
import { RouteCatalogService } from '../common/route-catalog.service';
import type { GatewayRequest, GatewayResponse } from '../common/gateway-request';
import { ApiError } from './api-error';
import { limitDrain } from '../common/drain-budget';

/** Codes of common HTTP statuses (used for errors raised by the framework, not by our code). */
const STATUS_CODES: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  411: 'LENGTH_REQUIRED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
};

/** Body-parser / http-errors error types, with the code and message the API uses for them. */
const PARSER_ERRORS: Readonly<Record<string, { status: number; code: string; message: string }>> = {
  'entity.parse.failed': { status: 400, code: 'MALFORMED_JSON', message: 'the request body is not valid JSON' },
  'entity.too.large': { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'the request body is too large (JSON bodies are limited to 100 KB)' },
  'entity.verify.failed': { status: 400, code: 'BAD_REQUEST', message: 'the request body was refused' },
  'encoding.unsupported': { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'the request body has an unsupported Content-Encoding' },
  'charset.unsupported': { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'the request body has an unsupported charset (use utf-8)' },
  'request.aborted': { status: 400, code: 'BAD_REQUEST', message: 'the request was aborted while its body was read' },
  'request.size.invalid': { status: 400, code: 'BAD_REQUEST', message: 'the request body does not match its Content-Length' },
  'parameters.too.many': { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'the request body has too many parameters' },
};

/**
 * The one place errors become HTTP responses: always JSON `{"error":{"code","message"}}`, never an
 * HTML page, never a crash.
 * - ApiError (ours): its status, code, message and headers (`Retry-After`, `WWW-Authenticate`).
 * - An unknown route: 404 `NO_ROUTE`, or 405 `METHOD_NOT_ALLOWED` with `Allow` when the path
 *   exists with other methods.
 * - Body parser errors (malformed JSON, too large, bad charset), bad URL encoding: 4xx.
 * - Other framework HttpExceptions: their status with a stable code.
 * - Anything else: 500 `INTERNAL` with a generic message; the error is logged with its stack.
 */
@Catch()
@Injectable()
export class ApiExceptionFilter implements ExceptionFilter {
  /** @param sidecar for its logger; @param routes to tell 404 from 405. */
  constructor(
    private readonly sidecar: Sidecar,
    private readonly routes: RouteCatalogService,
  ) {}

  /** Renders `exception` as a JSON error response. */
  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const request = http.getRequest<GatewayRequest>();
    const response = http.getResponse<GatewayResponse>();
    const error = this.toApiError(exception, request);
    if (error.status >= 500) {
      const cause = error.status === 500 ? exception : (error.cause ?? exception);
      this.sidecar.logger[error.status === 503 ? 'warn' : 'error']('request failed', {
        method: request.method,
        path: pathOf(request),
        status: error.status,
        code: error.code,
        error: cause instanceof Error ? (cause.stack ?? cause.message) : String(cause),
      });
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    response.status(error.status);
    response.removeHeader('X-Powered-By'); // errors raised before ApiHeadersMiddleware ran (body parser)
    for (const header of ['Content-Disposition', 'Content-Security-Policy', 'Content-Length', 'Idempotent-Replayed', 'Location']) response.removeHeader(header);
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
    response.send(JSON.stringify(error.toBody()));
    limitDrain(request);
  }

  private toApiError(exception: unknown, request: GatewayRequest): ApiError {
    if (exception instanceof ApiError) return exception;
    if (exception instanceof NotFoundException) {
      // our code throws ApiError for missing things, so a NotFoundException is the router's "no route"
      const path = pathOf(request);
      const allowed = this.routes.methodsFor(path);
      if (allowed.length > 0) {
        return new ApiError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}; use ${allowed.join(', ')}`, {
          headers: { Allow: allowed.join(', ') },
        });
      }
      return new ApiError(404, 'NO_ROUTE', `there is no endpoint ${request.method} ${truncate(path, 200)} (the API is described at /api/openapi.json)`);
    }
    if (exception instanceof BadRequestException) {
      // Nest turns the body parser's SyntaxError and the router's URIError into a bare
      // BadRequestException (multer's are mapped by MultipartImageInterceptor; our code throws ApiError)
      const message = messageOf(exception);
      if (/^Failed to decode param/.test(message)) return new ApiError(400, 'BAD_URL_ENCODING', 'the URL is not correctly percent-encoded');
      if (/json/i.test(String(request.headers['content-type'] ?? ''))) return new ApiError(400, 'MALFORMED_JSON', `the request body is not valid JSON (${message})`);
      return new ApiError(400, 'BAD_REQUEST', message);
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return new ApiError(status, STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL' : `HTTP_${status}`), status >= 500 ? 'internal error (details are in the server log)' : messageOf(exception), {
        cause: exception,
      });
    }
    const parserError = exception as { type?: unknown; status?: unknown; statusCode?: unknown; expose?: unknown; message?: unknown } | null;
    const status = typeof parserError?.status === 'number' ? parserError.status : typeof parserError?.statusCode === 'number' ? parserError.statusCode : undefined;
    if (status !== undefined && status >= 400 && status < 500) {
      const known = typeof parserError?.type === 'string' ? PARSER_ERRORS[parserError.type] : undefined;
      if (known !== undefined) return new ApiError(known.status, known.code, known.message);
      const message = parserError?.expose === true && typeof parserError.message === 'string' ? truncate(parserError.message, 200) : 'the request was refused';
      return new ApiError(status, STATUS_CODES[status] ?? `HTTP_${status}`, message);
    }
    if (exception instanceof URIError) return new ApiError(400, 'BAD_URL_ENCODING', 'the URL is not correctly percent-encoded');
    return new ApiError(500, 'INTERNAL', 'internal error (details are in the server log)', { cause: exception });
  }
}

function pathOf(request: GatewayRequest): string {
  const url = request.originalUrl ?? request.url;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function messageOf(exception: HttpException): string {
  const body = exception.getResponse();
  const message = typeof body === 'string' ? body : (body as { message?: unknown }).message;
  if (Array.isArray(message)) return truncate(message.map(String).join('; '), 300);
  return truncate(typeof message === 'string' ? message : exception.message, 300);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
