/**
 * An error the public API answers with a specific status and a JSON body
 * `{"error":{"code","message", ...details}}`. `code` is stable (clients branch on it, never on the
 * message); `message` is a sentence for people. Thrown by controllers and services, rendered by
 * the global ApiExceptionFilter.
 */
export class ApiError extends Error {
  /**
   * @param status HTTP status (4xx or 5xx).
   * @param code stable machine-readable code, e.g. `LIKES_UNAVAILABLE`.
   * @param message what went wrong and what to do.
   * @param options `headers` to send (e.g. `Retry-After`), `details` merged into the error object,
   *   `cause` (logged for 5xx, never sent).
   */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly options: { readonly headers?: Readonly<Record<string, string>>; readonly details?: Readonly<Record<string, unknown>>; readonly cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
  }

  /** Extra response headers. */
  get headers(): Readonly<Record<string, string>> {
    return this.options.headers ?? {};
  }

  /** The JSON body of this error. */
  toBody(): { error: { code: string; message: string } & Record<string, unknown> } {
    return { error: { ...(this.options.details ?? {}), code: this.code, message: this.message } };
  }
}

/** True when `error` is an ApiError. */
export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/** 400 with `code` (default `BAD_REQUEST`). */
export function badRequest(message: string, code = 'BAD_REQUEST', details?: Record<string, unknown>): ApiError {
  return new ApiError(400, code, message, { details });
}

/** 401 `UNAUTHENTICATED` with a `WWW-Authenticate: Bearer` challenge. */
export function unauthenticated(message: string): ApiError {
  return new ApiError(401, 'UNAUTHENTICATED', message, { headers: { 'WWW-Authenticate': 'Bearer realm="failsoft"' } });
}

/** 404 `NOT_FOUND`. */
export function notFound(message: string): ApiError {
  return new ApiError(404, 'NOT_FOUND', message);
}

/** 503 `<PART>_UNAVAILABLE` with `Retry-After` (whole seconds, at least 1). */
export function unavailable(part: string, message: string, retryAfterSeconds: number): ApiError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new ApiError(503, `${part.toUpperCase()}_UNAVAILABLE`, message, {
    headers: { 'Retry-After': String(seconds) },
    details: { part, retryAfterSeconds: seconds },
  });
}
