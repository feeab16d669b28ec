/** The endpoints the load generator calls. */
export const ENDPOINTS = ['feed', 'like', 'unlike', 'create'] as const;
/** `feed` (GET /api/feed), `like`/`unlike` (POST/DELETE /api/posts/:id/likes), `create` (POST /api/posts). */
export type Endpoint = (typeof ENDPOINTS)[number];

/** How one request ended. */
export type Outcome = 'ok' | 'degraded' | 'error';

/** One request of a load run. */
export interface Sample {
  endpoint: Endpoint;
  /** Start, ms since the load started. */
  at: number;
  ms: number;
  outcome: Outcome;
  /** For errors: `HTTP 503 LIKES_UNAVAILABLE`, `timeout`, `ECONNREFUSED`... */
  cause?: string;
  /** The first attempt met a reset connection and was sent again once (the outcome is the resend's). */
  resent?: true;
}

/** Counts of a set of samples. */
export interface Counts {
  requests: number;
  ok: number;
  degraded: number;
  errors: number;
}

/** Counts plus derived figures. */
export interface Figures extends Counts {
  /** (ok + degraded) / requests; 1 when there were no requests. */
  availability: number;
  /** degraded / requests; 0 when there were no requests. */
  degradedShare: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** One second of a run. */
export interface SecondBucket extends Counts {
  /** Seconds since the load started. */
  second: number;
}

/**
 * The `p`th percentile (0-100) of ascending `sorted` values, nearest-rank: the smallest value with
 * at least p% of the values at or below it. 0 for an empty list.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Counts of `samples`. */
export function countOf(samples: readonly Sample[]): Counts {
  const c: Counts = { requests: samples.length, ok: 0, degraded: 0, errors: 0 };
  for (const s of samples) {
    if (s.outcome === 'ok') c.ok++;
    else if (s.outcome === 'degraded') c.degraded++;
    else c.errors++;
  }
  return c;
}

/** Figures of `samples` (latencies rounded to ms). */
export function figuresOf(samples: readonly Sample[]): Figures {
  const c = countOf(samples);
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  return {
    ...c,
    availability: c.requests === 0 ? 1 : (c.ok + c.degraded) / c.requests,
    degradedShare: c.requests === 0 ? 0 : c.degraded / c.requests,
    p50Ms: Math.round(percentile(ms, 50)),
    p95Ms: Math.round(percentile(ms, 95)),
    p99Ms: Math.round(percentile(ms, 99)),
    maxMs: Math.round(ms[ms.length - 1] ?? 0),
  };
}

/** Figures per endpoint. */
export function figuresByEndpoint(samples: readonly Sample[]): Record<Endpoint, Figures> {
  return Object.fromEntries(ENDPOINTS.map((e) => [e, figuresOf(samples.filter((s) => s.endpoint === e))])) as Record<Endpoint, Figures>;
}

/** Errors by cause, most frequent first. */
export function errorsByCause(samples: readonly Sample[]): Array<{ cause: string; count: number }> {
  const counts = new Map<string, number>();
  for (const s of samples) if (s.outcome === 'error') counts.set(s.cause ?? 'unknown', (counts.get(s.cause ?? 'unknown') ?? 0) + 1);
  return [...counts].map(([cause, count]) => ({ cause, count })).sort((a, b) => b.count - a.count || a.cause.localeCompare(b.cause));
}

/** Samples per second of start time, from second 0 to the last (empty seconds included). */
export function perSecond(samples: readonly Sample[], durationMs?: number): SecondBucket[] {
  const last = Math.max(durationMs === undefined ? 0 : Math.ceil(durationMs / 1000) - 1, ...samples.map((s) => Math.floor(s.at / 1000)), -1);
  const buckets: SecondBucket[] = Array.from({ length: last + 1 }, (_, second) => ({ second, requests: 0, ok: 0, degraded: 0, errors: 0 }));
  for (const s of samples) {
    const b = buckets[Math.floor(s.at / 1000)];
    if (!b) continue;
    b.requests++;
    if (s.outcome === 'ok') b.ok++;
    else if (s.outcome === 'degraded') b.degraded++;
    else b.errors++;
  }
  return buckets;
}

/** `99.95%` (two decimals below 100). */
export function percent(fraction: number): string {
  if (fraction >= 1) return '100%';
  return `${(Math.floor(fraction * 10_000) / 100).toFixed(2)}%`;
}
