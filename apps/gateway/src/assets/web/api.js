// The app's client of the gateway's REST API (same origin). Every failure is an ApiError carrying
// the server's own message, so the page can show exactly what the server said.

/** An API failure: the HTTP status (0 when no answer came), the server's code and message. */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 for a network failure
   * @param {string} code the server's error code (e.g. UNSUPPORTED_TYPE), or NETWORK / BAD_RESPONSE
   * @param {string} message the server's message
   * @param {number | null} retryAfterS seconds from Retry-After, when sent
   */
  constructor(status, code, message, retryAfterS = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfterS = retryAfterS;
  }
}

/** A random idempotency key (works outside secure contexts too, unlike crypto.randomUUID). */
export function randomKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * Calls the API and returns the parsed JSON body of a 2xx answer.
 * @param {string} path e.g. `/api/feed?limit=12`
 * @param {{ method?: string, token?: string | null, json?: unknown, form?: FormData, headers?: Record<string, string>, timeoutMs?: number }} [options]
 * @returns {Promise<any>}
 * @throws {ApiError}
 */
export async function api(path, options = {}) {
  const headers = { Accept: 'application/json', ...(options.headers ?? {}) };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form !== undefined) {
    body = options.form; // the browser sets the multipart boundary
  }
  let response;
  try {
    response = await fetch(path, { method: options.method ?? 'GET', headers, body, signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
    throw new ApiError(0, timedOut ? 'TIMEOUT' : 'NETWORK', timedOut ? 'the server did not answer in time' : 'the server could not be reached (check your connection)');
  }
  const text = await response.text().catch(() => '');
  let parsed;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (response.ok) return parsed;
  const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
  const error = parsed && typeof parsed === 'object' && parsed.error && typeof parsed.error === 'object' ? parsed.error : undefined;
  throw new ApiError(
    response.status,
    typeof error?.code === 'string' ? error.code : `HTTP_${response.status}`,
    typeof error?.message === 'string' ? error.message : `the server answered ${response.status} ${response.statusText}`.trim(),
    Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : null,
  );
}
