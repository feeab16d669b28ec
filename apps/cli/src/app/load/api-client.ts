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
}

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

/** One request; never throws. */
export async function apiRequest<T = unknown>(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | FormData; timeoutMs: number }): Promise<ApiCall<T>> {
  const started = performance.now();
  try {
    const res = await fetch(url, { method: init.method ?? 'GET', headers: init.headers, body: init.body, signal: AbortSignal.timeout(init.timeoutMs), redirect: 'manual' });
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

  /** `POST /api/posts/:id/likes` (like: true) or `DELETE` (like: false). */
  setLike(token: string, id: string, like: boolean): Promise<ApiCall<ApiLike>> {
    return apiRequest(`${this.baseUrl}/api/posts/${encodeURIComponent(id)}/likes`, { method: like ? 'POST' : 'DELETE', headers: this.auth(token), timeoutMs: this.timeoutMs });
  }

  /** `GET /api/health` of whichever gateway answers. */
  health(): Promise<ApiCall<{ status: string; degraded: string[] }>> {
    return apiRequest(`${this.baseUrl}/api/health`, { timeoutMs: Math.min(this.timeoutMs, 3000) });
  }
}
