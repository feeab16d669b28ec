import { BadRequestException, HttpException, Inject, Injectable, PayloadTooLargeException, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { currentCallScope, runInCallScope } from '@failsoft/sidecar';
import { Observable } from 'rxjs';
import { ApiError } from '../errors/api-error';
import { GATEWAY_CONFIG } from '../gateway.constants';
import { maxConcurrentUploads, multipartFileLimit, type GatewayConfig } from '../gateway.config';
import type { GatewayRequest } from '../common/gateway-request';

/** The response events the interceptor watches. */
interface ClosableResponse {
  once(event: 'close', listener: () => void): unknown;
  readonly writableFinished?: boolean;
}

/** Largest caption field accepted by the parser (the upload service judges captions precisely). */
export const CAPTION_FIELD_MAX_BYTES = 16 * 1024;

/**
 * Parses `multipart/form-data` with one file field `image` (kept in memory) and text fields such
 * as `caption`, using Nest's multer interceptor with tight limits. At most `maxConcurrentUploads`
 * uploads are buffered at once (derived from the memory limit): one more is refused with 503
 * `UPLOADS_BUSY` + Retry-After before its body is read. One file of at most
 * UPLOAD_MAX_BYTES + 64 KiB (413 `TOO_LARGE` beyond, without buffering the rest), a few small
 * fields, few parts. Any other multipart problem (no boundary, cut short, malformed part headers,
 * unexpected file field, too many parts) is a 400 `MALFORMED_MULTIPART` naming it; a request that
 * is not multipart at all is a 415. Parser errors never reach the process.
 */
@Injectable()
export class MultipartImageInterceptor implements NestInterceptor {
  private readonly inner: NestInterceptor;
  private readonly maxBytes: number;
  /** Uploads buffered at once at most. */
  readonly maxUploads: number;
  private uploads = 0;

  /** @param config UPLOAD_MAX_BYTES, MEMORY_LIMIT_BYTES. */
  constructor(@Inject(GATEWAY_CONFIG) config: Pick<GatewayConfig, 'UPLOAD_MAX_BYTES' | 'MEMORY_LIMIT_BYTES'>) {
    this.maxBytes = config.UPLOAD_MAX_BYTES;
    this.maxUploads = maxConcurrentUploads(config);
    const Interceptor = FileInterceptor('image', {
      // field and file names are UTF-8 (what browsers and fetch send); busboy's default, latin1, garbles them
      defParamCharset: 'utf8',
      limits: { fileSize: multipartFileLimit(config), files: 1, fields: 8, fieldSize: CAPTION_FIELD_MAX_BYTES, parts: 12, headerPairs: 100 },
    });
    this.inner = new Interceptor();
  }

  /** Parses the body (sets `request.file` and `request.body`), then runs the handler. */
  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    const type = String(request.headers['content-type'] ?? '');
    if (!/^multipart\/form-data\s*(;|$)/i.test(type)) {
      throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the post as multipart/form-data with an "image" file field and an optional "caption" field');
    }
    const response = context.switchToHttp().getResponse<ClosableResponse>();
    this.admit(response);
    try {
      return await this.inner.intercept(context, { handle: () => inFreshCallScope(response, next) });
    } catch (error) {
      throw this.mapError(error);
    }
  }

  /** Counts the upload until its response closes; refuses it when the gateway holds as many as its memory allows. */
  private admit(response: ClosableResponse): void {
    if (this.uploads >= this.maxUploads) {
      throw new ApiError(503, 'UPLOADS_BUSY', `this gateway is receiving ${this.maxUploads} uploads, as many as its memory allows; retry in a moment`, {
        headers: { 'Retry-After': '1', Connection: 'close' },
      });
    }
    this.uploads++;
    response.once('close', () => this.uploads--);
  }

  private mapError(error: unknown): unknown {
    if (error instanceof PayloadTooLargeException) {
      return new ApiError(413, 'TOO_LARGE', `the image is larger than ${formatMiB(this.maxBytes)}; accepted: JPEG, PNG, WebP or GIF images up to ${formatMiB(this.maxBytes)}`);
    }
    if (error instanceof BadRequestException) return new ApiError(400, 'MALFORMED_MULTIPART', `the multipart body was refused: ${error.message}`);
    if (error instanceof HttpException || error instanceof ApiError) return error;
    // busboy/multer errors that Nest does not translate (malformed bodies, aborted uploads)
    const message = error instanceof Error ? error.message : String(error);
    return new ApiError(400, 'MALFORMED_MULTIPART', `the multipart body could not be parsed: ${message.slice(0, 200)}`, { cause: error });
  }
}

function formatMiB(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Number((bytes / (1024 * 1024)).toFixed(1))} MiB` : `${Number((bytes / 1024).toFixed(1))} KiB`;
}

/**
 * Runs the handler in a call scope whose cancellation follows the *response*.
 *
 * Works around a bug in the sidecar's CallScopeInterceptor (reported): it cancels the scope on the
 * request's `close` event, which Node emits once the request body has been read — so a handler
 * that reads its body after the interceptor ran (as multer does here) would see every downstream
 * call cancelled. The fresh scope keeps the deadline and trace, and is cancelled only when the
 * connection closes before the response is complete (the client went away).
 */
function inFreshCallScope(response: ClosableResponse, next: CallHandler): Observable<unknown> {
  return new Observable((subscriber) => {
    const outer = currentCallScope();
    const abort = new AbortController();
    response.once('close', () => {
      if (response.writableFinished !== true) abort.abort();
    });
    const scope = { deadline: outer?.deadline ?? Infinity, trace: outer?.trace, signal: abort.signal };
    return runInCallScope(scope, () => next.handle().subscribe(subscriber));
  });
}
