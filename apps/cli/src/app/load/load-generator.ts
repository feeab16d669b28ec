import { randomUUID } from 'node:crypto';
import { causeOf, DEMO_USERS, LoadApi, type ApiCall } from './api-client';

export { causeOf };
import { WriteLedger, likeKey } from './ledger';
import { pixelDigest } from './pixel-digest';
import { noisePng } from './png';
import { readBack, type ReadBackOptions, type ReadBackResult } from './read-back';
import { errorsByCause, figuresByEndpoint, figuresOf, percent, perSecond, type Endpoint, type Figures, type Sample, type SecondBucket } from './stats';

/** Relative weights of the traffic mix (likes and unlikes share `likes`: each (user, post) toggles). */
export interface TrafficMix {
  feed: number;
  likes: number;
  create: number;
}

/** The default mix: mostly reads, a steady stream of likes/unlikes, a few uploads. */
export const DEFAULT_MIX: TrafficMix = { feed: 0.55, likes: 0.35, create: 0.1 };

/** Options of {@link LoadGenerator.prepare}. */
export interface LoadOptions {
  /** Front door URL. */
  url: string;
  /** Requests per second (all endpoints together). */
  rate: number;
  mix?: TrafficMix;
  /** Per-request timeout (default 10 s): a slower answer is an error (`timeout`). */
  timeoutMs?: number;
  /** Most requests in flight (default 64); a tick finding it full is counted as not sent. */
  maxInFlight?: number;
  /** Users the load signs in as (default the demo users). */
  users?: readonly string[];
  /**
   * Writes per second per user the load keeps under (default 2, well under the gateway's default
   * rate limit of 30 writes per 10 s per user; `Infinity` when the platform runs without one). A
   * write over budget becomes a feed read.
   */
  writesPerUserPerSecond?: number;
  /** Posts the likes go to (default the newest 8 of the feed). */
  likePosts?: number;
}

/** What a finished run saw. */
export interface LoadResult {
  durationMs: number;
  samples: Sample[];
  overall: Figures;
  byEndpoint: Record<Endpoint, Figures>;
  errorsByCause: Array<{ cause: string; count: number }>;
  perSecond: SecondBucket[];
  /** Ticks that found `maxInFlight` requests in flight (the platform was too slow to keep up). */
  notSent: number;
  /** Acknowledged writes (uploads, likes, unlikes). */
  acknowledgedWrites: number;
}

/** A write budget per user (token bucket). */
class Budget {
  private tokens: number;
  private last = performance.now();
  constructor(private readonly perSecond: number) {
    this.tokens = Number.isFinite(perSecond) ? Math.max(1, perSecond) : Infinity;
  }
  take(): boolean {
    if (!Number.isFinite(this.perSecond)) return true;
    const now = performance.now();
    this.tokens = Math.min(Math.max(1, this.perSecond), this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}

/**
 * A weighted traffic mix against the public API at a fixed rate: feed reads, likes and unlikes
 * (each (user, post) toggles, one op at a time per key so its final state is well-defined) and
 * uploads. Every answer becomes a {@link Sample}; every write goes to the {@link WriteLedger};
 * {@link readBack} checks afterwards that no acknowledged write was lost.
 */
export class LoadGenerator {
  readonly ledger = new WriteLedger();
  private readonly samples: Sample[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly busyKeys = new Set<string>();
  private readonly intended = new Map<string, boolean>();
  private readonly budgets = new Map<string, Budget>();
  private readonly mix: TrafficMix;
  private startedAt = 0;
  private stoppedAt: number | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private notSent = 0;
  private seq = 0;

  private constructor(
    readonly api: LoadApi,
    private readonly options: LoadOptions,
    readonly tokens: ReadonlyMap<string, string>,
    readonly postIds: readonly string[],
  ) {
    const mix = options.mix ?? DEFAULT_MIX;
    const total = mix.feed + mix.likes + mix.create;
    this.mix = { feed: mix.feed / total, likes: mix.likes / total, create: mix.create / total };
    for (const user of tokens.keys()) this.budgets.set(user, new Budget(options.writesPerUserPerSecond ?? 2));
  }

  /**
   * Signs the users in and picks the posts to like (creating one when the feed is empty).
   * @throws Error naming the URL when the API cannot be reached or the options are bad.
   */
  static async prepare(options: LoadOptions): Promise<LoadGenerator> {
    if (!(options.rate > 0)) throw new RangeError(`rate must be above 0 requests per second; got ${options.rate}`);
    const mix = options.mix ?? DEFAULT_MIX;
    if ([mix.feed, mix.likes, mix.create].some((w) => !(w >= 0)) || mix.feed + mix.likes + mix.create <= 0) throw new RangeError(`the traffic mix needs weights >= 0 with a positive sum; got ${JSON.stringify(mix)}`);
    const api = new LoadApi(options.url.replace(/\/+$/, ''), options.timeoutMs ?? 10_000);
    const users = options.users ?? DEMO_USERS;
    const tokens = new Map<string, string>();
    for (const user of users) tokens.set(user, await api.signIn(user));
    const first = tokens.values().next().value as string;
    let feed = await api.feed(first, 20);
    if (feed.status !== 200 || !feed.json) throw new Error(`GET ${api.baseUrl}/api/feed answered ${causeOf(feed)}; is the platform healthy?`);
    if (feed.json.items.length === 0) {
      const created = await api.createPost(first, noisePng(0), 'load generator: a post to like', randomUUID());
      if (created.status !== 201 && created.status !== 200) throw new Error(`the feed is empty and creating a post failed: ${causeOf(created)}`);
      feed = await api.feed(first, 20);
    }
    const postIds = (feed.json?.items ?? []).slice(0, options.likePosts ?? 8).map((p) => p.id);
    if (postIds.length === 0) throw new Error('the feed has no post to like');
    return new LoadGenerator(api, options, tokens, postIds);
  }

  /** Starts sending. */
  start(): this {
    if (this.loop) throw new Error('the load already started');
    this.startedAt = performance.now();
    this.loop = this.run();
    return this;
  }

  /** Ms since {@link start}. */
  elapsed(): number {
    return this.startedAt === 0 ? 0 : (this.stoppedAt ?? performance.now()) - this.startedAt;
  }

  /** Samples so far (ended requests), in end order. */
  get sampled(): readonly Sample[] {
    return this.samples;
  }

  /** Requests in flight now. */
  get pending(): number {
    return this.inFlight.size;
  }

  /** One progress line: `[load 12 s] 240 requests, ok 98.75%, degraded 1.25%, 3 errors, p99 45 ms, 2 in flight`. */
  progressLine(label = 'load'): string {
    const recent = this.samples.filter((s) => s.at >= this.elapsed() - 5000);
    const f = figuresOf(this.samples);
    const r = figuresOf(recent);
    return `[${label} ${Math.floor(this.elapsed() / 1000)} s] ${f.requests} requests, available ${percent(f.availability)}, degraded ${percent(f.degradedShare)}, ${f.errors} errors, p99 ${f.p99Ms} ms (last 5 s: ${r.errors} errors, p99 ${r.p99Ms} ms), ${this.inFlight.size} in flight`;
  }

  /** Stops sending, waits for the requests in flight, and reports. */
  async stop(): Promise<LoadResult> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await Promise.all([...this.inFlight]);
    this.stoppedAt ??= performance.now();
    const durationMs = Math.round(this.stoppedAt - this.startedAt);
    const samples = [...this.samples].sort((a, b) => a.at - b.at);
    return {
      durationMs,
      samples,
      overall: figuresOf(samples),
      byEndpoint: figuresByEndpoint(samples),
      errorsByCause: errorsByCause(samples),
      perSecond: perSecond(samples, durationMs),
      notSent: this.notSent,
      acknowledgedWrites: this.ledger.acknowledged,
    };
  }

  /** Reads every acknowledged write back (see {@link readBack}); call after {@link stop} once the platform recovered. */
  readBack(options?: ReadBackOptions): Promise<ReadBackResult> {
    return readBack(this.api, this.tokens, this.ledger, options);
  }

  private async run(): Promise<void> {
    const interval = 1000 / this.options.rate;
    const maxInFlight = this.options.maxInFlight ?? 64;
    let next = performance.now();
    while (!this.stopping) {
      if (this.inFlight.size >= maxInFlight) this.notSent++;
      else this.launch();
      next += interval;
      let wait = next - performance.now();
      if (wait < -1000) {
        next = performance.now(); // fell far behind (a busy machine): do not burst to catch up
        wait = 0;
      }
      if (wait > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
    this.stoppedAt = performance.now();
  }

  private launch(): void {
    const users = [...this.tokens.keys()];
    const user = users[this.seq++ % users.length];
    const roll = Math.random();
    let op: Promise<void>;
    if (roll < this.mix.feed) op = this.feed(user);
    else if (roll < this.mix.feed + this.mix.likes) op = this.budgets.get(user)?.take() ? this.toggleLike(user) : this.feed(user);
    else op = this.budgets.get(user)?.take() ? this.create(user) : this.feed(user);
    const tracked = op.catch(() => undefined).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private record(endpoint: Endpoint, at: number, call: ApiCall, outcome: 'ok' | 'degraded' | 'error'): void {
    this.samples.push({ endpoint, at: Math.round(at), ms: Math.round(call.ms), outcome, ...(outcome === 'error' ? { cause: causeOf(call) } : {}), ...(call.resent ? { resent: true as const } : {}) });
  }

  private token(user: string): string {
    return this.tokens.get(user) as string;
  }

  private async feed(user: string): Promise<void> {
    const at = this.elapsed();
    const res = await this.api.feed(this.token(user), 20);
    const ok = res.status === 200 && Array.isArray(res.json?.items);
    this.record('feed', at, res, !ok ? 'error' : (res.json?.degraded?.length ?? 0) > 0 ? 'degraded' : 'ok');
  }

  private async toggleLike(user: string): Promise<void> {
    const idle = this.postIds.filter((id) => !this.busyKeys.has(likeKey(user, id)));
    if (idle.length === 0) return this.feed(user);
    const postId = idle[Math.floor(Math.random() * idle.length)];
    const key = likeKey(user, postId);
    const like = !(this.intended.get(key) ?? false);
    this.intended.set(key, like);
    this.busyKeys.add(key);
    try {
      const at = this.elapsed();
      // one key per operation: a late copy of an attempt the resend replaced cannot undo a newer op
      const res = await this.api.setLike(this.token(user), postId, like, `like-${randomUUID()}`);
      const acknowledged = res.status === 200 && res.json?.liked === like;
      this.ledger.recordLike({ user, postId, like, acknowledged, at: Math.round(at), result: acknowledged ? `${res.status}` : causeOf(res) });
      this.record(like ? 'like' : 'unlike', at, res, acknowledged ? 'ok' : 'error');
    } finally {
      this.busyKeys.delete(key);
    }
  }

  private async create(user: string): Promise<void> {
    const n = this.seq;
    const image = noisePng(n + Math.floor(Math.random() * 1e6));
    const pixels = await pixelDigest(image.bytes);
    const at = this.elapsed();
    const res = await this.api.createPost(this.token(user), image, `load generator post ${n}`, `load-${randomUUID()}`);
    const postId = res.json?.post?.id;
    const acknowledged = (res.status === 201 || res.status === 200) && typeof postId === 'string';
    if (acknowledged) this.ledger.recordUpload({ user, postId, sha256: pixels ?? '' });
    this.record('create', at, res, acknowledged ? 'ok' : 'error');
  }
}
