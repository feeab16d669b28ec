import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StaticFileStore } from './static-file.store';
import { resolveStatic, STATIC_CSP, type StaticMount } from './static-files';
import { WEB_MOUNTS } from './web.constants';

/** Headers of every static response (pages and their assets). */
const STATIC_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': STATIC_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // no content hashes in the file names (no bundler): revalidate every time, cheaply (ETag → 304)
  'Cache-Control': 'no-cache',
});

/**
 * Serves the web app and the console as static files (GET and HEAD): each StaticMount's pages
 * (e.g. `/` → index.html) and the files under its prefix (e.g. `/app/app.js`), with the right
 * content type, a strong ETag (304 on `If-None-Match`), `Cache-Control: no-cache`, and a strict
 * CSP (see STATIC_CSP). Under a prefix, a missing file or a path trick (`..`, encoded slashes,
 * hidden files, types not served) is a 404 JSON error like the API's; every other path goes on
 * to the API's router untouched (so unknown `/api/...` routes stay 404 `NO_ROUTE`).
 */
@Injectable()
export class StaticAssetsMiddleware implements NestMiddleware {
  /** @param mounts the folders to serve; @param files their files, in memory. */
  constructor(
    @Inject(WEB_MOUNTS) private readonly mounts: readonly StaticMount[],
    private readonly files: StaticFileStore,
  ) {}

  /** Answers a static request, or calls `next`. */
  use(request: IncomingMessage & { originalUrl?: string }, response: ServerResponse, next: (error?: unknown) => void): void {
    if (request.method !== 'GET' && request.method !== 'HEAD') return next();
    const url = request.originalUrl ?? request.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const target = resolveStatic(this.mounts, path);
    if (target.kind === 'none') return next();
    if (target.kind === 'refused') return notFound(response, path);
    this.files.get(target.path).then(
      (file) => {
        if (file === undefined) return notFound(response, path);
        response.removeHeader('X-Powered-By');
        for (const [name, value] of Object.entries(STATIC_HEADERS)) response.setHeader(name, value);
        response.setHeader('ETag', file.etag);
        if (etagMatches(request.headers['if-none-match'], file.etag)) {
          response.statusCode = 304;
          response.end();
          return;
        }
        response.statusCode = 200;
        response.setHeader('Content-Type', target.contentType);
        response.setHeader('Content-Length', file.body.length);
        response.end(request.method === 'HEAD' ? undefined : file.body);
      },
      (error: unknown) => next(error),
    );
  }
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.trim() === '*' || header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

/** 404 with the API's error body (static requests never reach the API's exception filter). */
function notFound(response: ServerResponse, path: string): void {
  const shown = path.length > 200 ? `${path.slice(0, 199)}…` : path;
  const body = JSON.stringify({ error: { code: 'NOT_FOUND', message: `there is no file ${shown} (the app is at /, the API at /api/)` } });
  response.removeHeader('X-Powered-By');
  response.statusCode = 404;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Content-Length', Buffer.byteLength(body));
  response.end(body);
}
