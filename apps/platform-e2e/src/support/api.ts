/**
 * A small client of the public REST API (what a browser or a phone would call), recording for
 * every request its status, headers, body and duration. Network failures and timeouts are results
 * too (status 0), never exceptions, so load loops can count them.
 */

import { recordResponse } from './openapi';

/** The demo users of the gateway (one shared password). */
export const USERS = ['alice', 'bob', 'carol'] as const;
export type User = (typeof USERS)[number];
export const PASSWORD = 'failsoft';

/** The result of one request. */
export interface ApiResult<T = unknown> {
  /** HTTP status; 0 when there was no HTTP answer (refused, reset, timed out). */
  status: number;
  headers: Headers;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: T | undefined;
  /** The raw body (first 64 KB), for messages. */
  text: string;
  /** Wall time of the request, ms. */
  ms: number;
  /** Why there was no HTTP answer. */
  error?: string;
}

/** The error body every 4xx/5xx of the API has. */
export interface ApiErrorBody {
  error: { code: string; message: string; [key: string]: unknown };
}

/** A post as the API returns it (fields the suite looks at). */
export interface PostView {
  id: string;
  author: string;
  caption: string;
  likeCount: number | null;
  likeCountStale?: boolean;
  likedByViewer: boolean | null;
  [key: string]: unknown;
}

/** `GET /api/feed`. */
export interface FeedBody {
  items: PostView[];
  nextCursor: string | null;
  degraded: string[];
  lastGoodAt?: string;
}

/** `POST /api/posts/:id/likes` and `DELETE`. */
export interface LikeBody {
  postId: string;
  likeCount: number;
  liked: boolean;
}

/** Options of one request. */
export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | FormData | Uint8Array;
  /** Give up after this long (default 10 s): the result is status 0, `error: 'timeout ...'`. */
  timeoutMs?: number;
}

/** One request; never throws. */
export async function request<T = unknown>(url: string, options: RequestOptions = {}): Promise<ApiResult<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const started = performance.now();
  try {
    const res = await fetch(url, { method: options.method ?? 'GET', headers: options.headers, body: options.body, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    const buffer = Buffer.from(await res.arrayBuffer());
    const text = buffer.subarray(0, 64 * 1024).toString('utf8');
    let json: T | undefined;
    if ((res.headers.get('content-type') ?? '').includes('json')) {
      try {
        json = JSON.parse(buffer.toString('utf8')) as T;
      } catch {
        json = undefined;
      }
    }
    recordResponse({ method: options.method ?? 'GET', url, status: res.status, headers: res.headers, json });
    return { status: res.status, headers: res.headers, json, text, ms: performance.now() - started };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    const reason = e.name === 'TimeoutError' ? `timeout after ${timeoutMs} ms` : `${e.message}${e.cause ? ` (${e.cause.code ?? e.cause.message})` : ''}`;
    return { status: 0, headers: new Headers(), json: undefined, text: '', ms: performance.now() - started, error: reason };
  }
}

/** One line describing a result, for failure messages. */
export function describe(result: ApiResult, what = ''): string {
  const body = result.error ?? result.text.replace(/\s+/g, ' ').slice(0, 300);
  return `${what ? `${what}: ` : ''}${result.status} in ${Math.round(result.ms)} ms ${body}`;
}

/** A PNG/JPEG file for a multipart upload. */
export interface UploadFile {
  bytes: Buffer | Uint8Array;
  type: string;
  name: string;
}

/** The REST API at one base URL (the front door, or one gateway directly). */
export class Api {
  constructor(readonly baseUrl: string) {}

  /** Another base URL with the same helpers. */
  at(baseUrl: string): Api {
    return new Api(baseUrl);
  }

  request<T = unknown>(path: string, options: RequestOptions = {}): Promise<ApiResult<T>> {
    return request<T>(`${this.baseUrl}${path}`, options);
  }

  /** `POST /api/auth/sign-in` → the token; throws when sign-in fails (setup, not under test). */
  async signIn(user: User, password = PASSWORD): Promise<string> {
    const res = await this.request<{ token: string }>('/api/auth/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user, password }),
    });
    if (res.status !== 200 || typeof res.json?.token !== 'string') throw new Error(describe(res, `sign-in as ${user}`));
    return res.json.token;
  }

  feed(token?: string, query = '', timeoutMs?: number): Promise<ApiResult<FeedBody>> {
    return this.request<FeedBody>(`/api/feed${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {}, timeoutMs });
  }

  getPost(token: string | undefined, id: string, timeoutMs?: number): Promise<ApiResult<{ post: PostView; degraded: string[] }>> {
    return this.request(`/api/posts/${id}`, { headers: token ? { authorization: `Bearer ${token}` } : {}, timeoutMs });
  }

  createPost(token: string, file: UploadFile, options: { caption?: string; idempotencyKey?: string; timeoutMs?: number } = {}): Promise<ApiResult<{ post: PostView; replayed: boolean }>> {
    const form = new FormData();
    form.append('caption', options.caption ?? 'a post from the platform e2e suite');
    form.append('image', new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    return this.request('/api/posts', { method: 'POST', headers, body: form, timeoutMs: options.timeoutMs });
  }

  like(token: string, id: string, timeoutMs?: number): Promise<ApiResult<LikeBody>> {
    return this.request<LikeBody>(`/api/posts/${id}/likes`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, timeoutMs });
  }

  unlike(token: string, id: string, timeoutMs?: number): Promise<ApiResult<LikeBody>> {
    return this.request<LikeBody>(`/api/posts/${id}/likes`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` }, timeoutMs });
  }

  health(): Promise<ApiResult<{ status: string; degraded: string[]; instance: string; parts: Record<string, { breaker: string; instances: number; healthyInstances: number }> }>> {
    return this.request('/api/health', { timeoutMs: 2000 });
  }
}
