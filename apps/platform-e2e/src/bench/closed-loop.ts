import { randomUUID } from 'node:crypto';
// The pieces of `failsoft load`: its API client, its traffic mix and its PNG maker (apps have no
// import alias: relative imports, as the suite's platform starter).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { causeOf, type ApiCall, type LoadApi } from '../../../cli/src/app/load/api-client';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { DEFAULT_MIX, type TrafficMix } from '../../../cli/src/app/load/load-generator';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { noisePng } from '../../../cli/src/app/load/png';

/** The operations of the mix: `GET /api/feed`, `POST`/`DELETE /api/posts/:id/likes`, `POST /api/posts`. */
export const OPERATIONS = ['feed', 'like', 'unlike', 'create'] as const;
/** One operation of the mix. */
export type Operation = (typeof OPERATIONS)[number];

/** One answered request of a measured window. */
export interface OpSample {
  op: Operation;
  ms: number;
  /** 2xx with the expected body (a degraded feed counts, and is flagged). */
  ok: boolean;
  degraded: boolean;
  /** Why it failed: `HTTP 503 LIKES_UNAVAILABLE`, `timeout`, `ECONNRESET`... */
  cause?: string;
}

/** Who the load acts as and on what. */
export interface LoadSubjects {
  /** Signed-in demo users: name → bearer token. */
  tokens: ReadonlyMap<string, string>;
  /** Posts the likes go to. */
  postIds: readonly string[];
}

/**
 * `concurrency` closed-loop workers, each sending its next request as soon as the previous one
 * answered, with the mix of `failsoft load` ({@link DEFAULT_MIX}: feed reads, likes/unlikes
 * toggling per (user, post), uploads of a small PNG with an Idempotency-Key). Every request is
 * sent as it comes: no write budget (the bench's platform runs with a raised per-user write limit).
 * Only requests started after {@link measure} and answered before {@link endMeasure} are samples.
 */
export class ClosedLoop {
  private readonly samples: OpSample[] = [];
  private readonly liked = new Map<string, boolean>();
  private readonly users: string[];
  private readonly mix: TrafficMix;
  private workers: Promise<void>[] = [];
  private stopping = false;
  private measuredFrom = Infinity;
  private measuredUntil = Infinity;
  private seq = 0;

  /** @param api the target (front door or one gateway). */
  constructor(
    private readonly api: LoadApi,
    private readonly subjects: LoadSubjects,
    private readonly concurrency: number,
    mix: TrafficMix = DEFAULT_MIX,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be an integer >= 1; got ${JSON.stringify(concurrency)}`);
    if (subjects.tokens.size === 0 || subjects.postIds.length === 0) throw new RangeError('the load needs at least one signed-in user and one post to like');
    const total = mix.feed + mix.likes + mix.create;
    this.mix = { feed: mix.feed / total, likes: mix.likes / total, create: mix.create / total };
    this.users = [...subjects.tokens.keys()];
  }

  /** Starts the workers (unmeasured until {@link measure}). */
  start(): this {
    for (let i = 0; i < this.concurrency; i++) this.workers.push(this.work());
    return this;
  }

  /** Requests started from now on are measured. */
  measure(): void {
    this.measuredFrom = performance.now();
  }

  /** Requests answered from now on are not measured; returns the window's samples and its length (ms). */
  endMeasure(): { samples: OpSample[]; durationMs: number } {
    this.measuredUntil = performance.now();
    return { samples: [...this.samples], durationMs: this.measuredUntil - this.measuredFrom };
  }

  /** Stops the workers once their requests in flight answered. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.workers);
  }

  private async work(): Promise<void> {
    while (!this.stopping) {
      const user = this.users[this.seq++ % this.users.length];
      const roll = Math.random();
      const started = performance.now();
      const sample = roll < this.mix.feed ? await this.feed(user) : roll < this.mix.feed + this.mix.likes ? await this.toggleLike(user) : await this.create(user);
      const ended = performance.now();
      if (started >= this.measuredFrom && ended <= this.measuredUntil) this.samples.push(sample);
    }
  }

  private token(user: string): string {
    return this.subjects.tokens.get(user) as string;
  }

  private outcome(op: Operation, call: ApiCall, ok: boolean, degraded = false): OpSample {
    return ok ? { op, ms: call.ms, ok, degraded } : { op, ms: call.ms, ok, degraded, cause: causeOf(call) };
  }

  private async feed(user: string): Promise<OpSample> {
    const res = await this.api.feed(this.token(user), 20);
    const ok = res.status === 200 && Array.isArray(res.json?.items);
    return this.outcome('feed', res, ok, ok && (res.json?.degraded?.length ?? 0) > 0);
  }

  private async toggleLike(user: string): Promise<OpSample> {
    const postId = this.subjects.postIds[Math.floor(Math.random() * this.subjects.postIds.length)];
    const key = `${user}\u0000${postId}`;
    const like = !(this.liked.get(key) ?? false);
    this.liked.set(key, like);
    const res = await this.api.setLike(this.token(user), postId, like);
    return this.outcome(like ? 'like' : 'unlike', res, res.status === 200 && typeof res.json?.liked === 'boolean');
  }

  private async create(user: string): Promise<OpSample> {
    const res = await this.api.createPost(this.token(user), noisePng(Math.floor(Math.random() * 1e9)), `bench post ${this.seq}`, `bench-${randomUUID()}`);
    return this.outcome('create', res, (res.status === 201 || res.status === 200) && typeof res.json?.post?.id === 'string');
  }
}
