/**
 * The load generator's small client of the public REST API. Every call resolves with a result
 * (status 0 for no HTTP answer: refused, reset, timed out), never an exception, so the load loop
 * can count every outcome.
 */

/** The demo users of the gateway (one shared password). */
export const DEMO_USERS = ['alice', 'bob', 'carol'] as const;
/** Password of the demo users. */
export const DEMO_PASSWORD = 'failsoft';

/** The outcome of one request. */
export interface ApiCall<T = unknown> {
  /** HTTP status; 0 when there was no HTTP answer. */
  status: number;
  /** Parsed JSON body (undefined when not JSON). */
  json: T | undefined;
  /** Body bytes (for the image read-back), at most what was read. */
  bytes: Buffer;
  /** Wall time, ms. */
  ms: number;
  /** Why there was no HTTP answer (`timeout`, `ECONNREFUSED`, ...). */
  error?: string;
  /** True when the first attempt met a reset connection and this is the answer to a resend (see {@link apiRequest}). */
  resent?: true;
}

/**
 * Failures of a connection that was open (reset, closed under the request) with no answer yet:
 * what a browser sends again. Never a refused connection (nobody
 * listens) and never a timeout (the server may be working on it).
 */
const RESENDABLE = /^(ECONNRESET|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED|other side closed|socket hang up)$/;

/** A post as the API returns it (the fields the load generator reads). */
export interface ApiPost {
  id: string;
  likeCount: number | null;
  likeCountStale?: boolean;
  likedByViewer: boolean | null;
}

/** `GET /api/feed`. */
export interface ApiFeed {
  items: ApiPost[];
  nextCursor: string | null;
  degraded: string[];
}

/** `POST|DELETE /api/posts/:id/likes`. */
export interface ApiLike {
  postId: string;
  likeCount: number;
  liked: boolean;
}

/** An image to upload. */
export interface ApiImage {
  bytes: Buffer;
  type: string;
  name: string;
}

/** How many times a request that met a reset connection is sent again (Chromium's limit for a request on a reused connection). */
export const MAX_RESENDS = 2;

/**
 * One request; never throws. Like a browser, a request whose connection was reset or closed before
 * any answer (the front door it was open to died, or its address moved to the other front door) is
 * sent again, at most {@link MAX_RESENDS} times (the next attempt may take another kept-alive
 * connection to the same dead front door; a dead one leaves the pool once it failed), with
 * `resent` on the result; a refused connection or a timeout is never sent again. Every write is
 * safe to repeat: likes set a state, posts carry an Idempotency-Key.
 */
export async function apiRequest<T = unknown>(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | FormData; timeoutMs: number }): Promise<ApiCall<T>> {
  const started = performance.now();
  let call = await attempt<T>(url, init, init.timeoutMs);
  for (let resends = 0; resends < MAX_RESENDS && call.status === 0 && RESENDABLE.test(call.error ?? ''); resends++) {
    const left = Math.floor(init.timeoutMs - (performance.now() - started));
    if (left <= 0) break;
    call = { ...(await attempt<T>(url, init, left)), resent: true };
  }
  return call.resent ? { ...call, ms: performance.now() - started } : call;
}

async function attempt<T>(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | FormData }, timeoutMs: number): Promise<ApiCall<T>> {
  const started = performance.now();
  try {
    const res = await fetch(url, { method: init.method ?? 'GET', headers: init.headers, body: init.body, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    const bytes = Buffer.from(await res.arrayBuffer());
    let json: T | undefined;
    if ((res.headers.get('content-type') ?? '').includes('json')) {
      try {
        json = JSON.parse(bytes.toString('utf8')) as T;
      } catch {
        json = undefined;
      }
    }
    return { status: res.status, json, bytes, ms: performance.now() - started };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    const reason = e.name === 'TimeoutError' || e.name === 'AbortError' ? 'timeout' : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { status: 0, json: undefined, bytes: Buffer.alloc(0), ms: performance.now() - started, error: reason };
  }
}

/** The error code of an API error body (`{"error":{"code"}}`), if any. */
export function errorCode(call: ApiCall): string | undefined {
  const body = call.json as { error?: { code?: unknown } } | undefined;
  return typeof body?.error?.code === 'string' ? body.error.code : undefined;
}

/** The cause of an error answer: `HTTP 503 LIKES_UNAVAILABLE`, `timeout`, `ECONNREFUSED`. */
export function causeOf(call: ApiCall): string {
  if (call.status === 0) return call.error ?? 'no answer';
  const code = errorCode(call);
  return `HTTP ${call.status}${code ? ` ${code}` : ''}`;
}

/** The public API at one base URL (the front door). */
export class LoadApi {
  /** @param baseUrl e.g. `http://127.0.0.1:8080` (no trailing slash). @param timeoutMs per request. */
  constructor(
    readonly baseUrl: string,
    readonly timeoutMs = 10_000,
  ) {}

  private auth(token: string | undefined): Record<string, string> {
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  /** `POST /api/auth/sign-in` → the token. @throws naming the status when sign-in fails. */
  async signIn(user: string, password = DEMO_PASSWORD): Promise<string> {
    const res = await apiRequest<{ token?: string }>(`${this.baseUrl}/api/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user, password }),
      timeoutMs: this.timeoutMs,
    });
    if (res.status !== 200 || typeof res.json?.token !== 'string') {
      throw new Error(`sign-in as ${user} at ${this.baseUrl} failed: ${res.status === 0 ? res.error : `HTTP ${res.status} ${res.bytes.toString('utf8').slice(0, 200)}`}`);
    }
    return res.json.token;
  }

  /** `GET /api/feed?limit=`. */
  feed(token: string | undefined, limit = 20): Promise<ApiCall<ApiFeed>> {
    return apiRequest(`${this.baseUrl}/api/feed?limit=${limit}`, { headers: this.auth(token), timeoutMs: this.timeoutMs });
  }

  /** `GET /api/posts/:id`. */
  post(token: string | undefined, id: string): Promise<ApiCall<{ post: ApiPost; degraded: string[] }>> {
    return apiRequest(`${this.baseUrl}/api/posts/${encodeURIComponent(id)}`, { headers: this.auth(token), timeoutMs: this.timeoutMs });
  }

  /** `GET /api/posts/:id/image`. */
  image(id: string): Promise<ApiCall> {
    return apiRequest(`${this.baseUrl}/api/posts/${encodeURIComponent(id)}/image`, { timeoutMs: this.timeoutMs });
  }

  /** `POST /api/posts` (multipart, with an Idempotency-Key). */
  createPost(token: string, image: ApiImage, caption: string, idempotencyKey: string): Promise<ApiCall<{ post: ApiPost; replayed: boolean }>> {
    const form = new FormData();
    form.append('caption', caption);
    form.append('image', new Blob([new Uint8Array(image.bytes)], { type: image.type }), image.name);
    return apiRequest(`${this.baseUrl}/api/posts`, { method: 'POST', headers: { ...this.auth(token), 'idempotency-key': idempotencyKey }, body: form, timeoutMs: this.timeoutMs });
  }

  /**
   * `POST /api/posts/:id/likes` (like: true) or `DELETE` (like: false); with `idempotencyKey`, sent
   * as `Idempotency-Key` (a resend after a reset carries the same key: applied once).
   */
  setLike(token: string, id: string, like: boolean, idempotencyKey?: string): Promise<ApiCall<ApiLike>> {
    const headers = idempotencyKey === undefined ? this.auth(token) : { ...this.auth(token), 'idempotency-key': idempotencyKey };
    return apiRequest(`${this.baseUrl}/api/posts/${encodeURIComponent(id)}/likes`, { method: like ? 'POST' : 'DELETE', headers, timeoutMs: this.timeoutMs });
  }

  /** `GET /api/health` of whichever gateway answers. */
  health(): Promise<ApiCall<{ status: string; degraded: string[] }>> {
    return apiRequest(`${this.baseUrl}/api/health`, { timeoutMs: Math.min(this.timeoutMs, 3000) });
  }
}
