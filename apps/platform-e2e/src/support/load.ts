import { randomUUID } from 'node:crypto';
import { Api, type ApiResult, type UploadFile } from './api';

/** The three user actions of the fail-soft contract. */
export type Op = 'feed' | 'create' | 'like';

/** One request of a load run. */
export interface Sample {
  op: Op;
  /** e.g. `POST /api/posts/<id>/likes`. */
  what: string;
  status: number;
  ms: number;
  /** When it started, ms since the load started. */
  at: number;
  error?: string;
  /** First bytes of the body of a non-2xx answer. */
  body?: string;
  /** `degraded` of a feed answer. */
  degraded?: string[];
}

/** Figures of one op. */
export interface OpFigures {
  requests: number;
  /** Answers that were not 2xx (network failures and timeouts included, as status 0). */
  non2xx: number;
  p50: number;
  p99: number;
  max: number;
}

/** What a load run saw. */
export interface LoadReport {
  durationMs: number;
  samples: Sample[];
  byOp: Record<Op, OpFigures>;
  /** Every non-2xx sample. */
  failures: Sample[];
  requests: number;
  non2xx: number;
}

/** Options of {@link SteadyLoad}. */
export interface LoadOptions {
  api: Api;
  /** Tokens of the users the load acts as (round robin). */
  tokens: string[];
  /** Posts that likes go to (round robin); like and unlike alternate per (user, post). */
  postIds: string[];
  /** Image of created posts. */
  image: UploadFile;
  /** Requests per second of each op (0 turns it off). Defaults: feed 8, like 8, create 2. */
  rates?: Partial<Record<Op, number>>;
  /** Per-request timeout (a request that takes longer is a failure), default 10 s. */
  timeoutMs?: number;
  /** Most requests of one op in flight at once (default 8): a slow platform gets less, not more. */
  maxInFlight?: number;
  /** Hard cap of the run (default 60 s): the load stops by itself. */
  maxDurationMs?: number;
  /** Hard cap of requests per op (default 2000). */
  maxRequestsPerOp?: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
}

/** Figures of a set of samples. */
export function figures(samples: readonly Sample[]): OpFigures {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  return { requests: samples.length, non2xx: samples.filter((s) => s.status < 200 || s.status > 299).length, p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.round(ms[ms.length - 1] ?? 0) };
}

/** `feed 120/0 (p50 12 ms, p99 80 ms, max 95 ms)`. */
export function formatFigures(name: string, f: OpFigures): string {
  return `${name} ${f.non2xx} errors / ${f.requests} requests (p50 ${f.p50} ms, p99 ${f.p99} ms, max ${f.max} ms)`;
}

/**
 * A small steady load of the three user actions through one URL: GET /api/feed, POST /api/posts
 * (a small PNG with an Idempotency-Key) and like/unlike, each at a fixed rate, bounded in time,
 * in requests and in concurrency. Every answer is recorded.
 */
export class SteadyLoad {
  private readonly samples: Sample[] = [];
  private readonly running: Array<Promise<void>> = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopped = false;
  private started = 0;
  private readonly liked = new Map<string, boolean>();
  private stopTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: LoadOptions) {}

  /** Starts the loops. */
  start(): this {
    this.started = performance.now();
    const rates = { feed: 8, like: 8, create: 2, ...this.options.rates };
    for (const op of ['feed', 'like', 'create'] as const) if (rates[op] > 0) this.running.push(this.loop(op, 1000 / rates[op]));
    this.stopTimer = setTimeout(() => (this.stopped = true), this.options.maxDurationMs ?? 60_000);
    return this;
  }

  /** Ms since the load started (the clock of `Sample.at`). */
  elapsed(): number {
    return performance.now() - this.started;
  }

  /** Samples so far. */
  get count(): number {
    return this.samples.length;
  }

  /** Stops starting requests, waits for those in flight, and reports. */
  async stop(): Promise<LoadReport> {
    this.stopped = true;
    clearTimeout(this.stopTimer);
    await Promise.all(this.running);
    await Promise.all([...this.inFlight]);
    const samples = [...this.samples].sort((a, b) => a.at - b.at);
    const byOp = {
      feed: figures(samples.filter((s) => s.op === 'feed')),
      like: figures(samples.filter((s) => s.op === 'like')),
      create: figures(samples.filter((s) => s.op === 'create')),
    };
    const failures = samples.filter((s) => s.status < 200 || s.status > 299);
    return { durationMs: Math.round(performance.now() - this.started), samples, byOp, failures, requests: samples.length, non2xx: failures.length };
  }

  private async loop(op: Op, intervalMs: number): Promise<void> {
    const maxRequests = this.options.maxRequestsPerOp ?? 2000;
    const maxInFlight = this.options.maxInFlight ?? 8;
    const mine = new Set<Promise<unknown>>();
    let next = performance.now();
    for (let n = 0; !this.stopped && n < maxRequests; n++) {
      while (mine.size >= maxInFlight && !this.stopped) await Promise.race(mine);
      if (this.stopped) break;
      const p = this.one(op, n).finally(() => {
        mine.delete(p);
        this.inFlight.delete(p);
      });
      mine.add(p);
      this.inFlight.add(p);
      next += intervalMs;
      const wait = next - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      else next = performance.now(); // fell behind: do not burst to catch up
    }
  }

  private async one(op: Op, n: number): Promise<void> {
    const { api, tokens, postIds, image } = this.options;
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const at = performance.now() - this.started;
    const token = tokens[n % tokens.length];
    let what: string;
    let result: ApiResult;
    if (op === 'feed') {
      what = 'GET /api/feed';
      result = await api.feed(token, '', timeoutMs);
    } else if (op === 'create') {
      what = 'POST /api/posts';
      result = await api.createPost(token, image, { caption: `load ${n}`, idempotencyKey: `load-${randomUUID()}`, timeoutMs });
    } else {
      const postId = postIds[Math.floor(n / tokens.length) % postIds.length];
      const key = `${n % tokens.length}|${postId}`;
      const like = !this.liked.get(key);
      this.liked.set(key, like);
      what = `${like ? 'POST' : 'DELETE'} /api/posts/${postId}/likes`;
      result = like ? await api.like(token, postId, timeoutMs) : await api.unlike(token, postId, timeoutMs);
    }
    const ok = result.status >= 200 && result.status <= 299;
    const degraded = op === 'feed' && ok ? ((result.json as { degraded?: string[] } | undefined)?.degraded ?? []) : undefined;
    this.samples.push({
      op,
      what,
      status: result.status,
      ms: result.ms,
      at: Math.round(at),
      ...(result.error ? { error: result.error } : {}),
      ...(!ok ? { body: result.text.slice(0, 300) } : {}),
      ...(degraded ? { degraded } : {}),
    });
  }
}

/** Lines describing the failures of a report (at most `max`). */
export function describeFailures(report: LoadReport, max = 10): string {
  return report.failures
    .slice(0, max)
    .map((f) => `  +${f.at} ms ${f.what} → ${f.status} in ${Math.round(f.ms)} ms ${f.error ?? f.body ?? ''}`)
    .join('\n');
}
