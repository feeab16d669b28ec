import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A deliberately faulty stand-in for the gateway's public API, for the negative tests of the
 * lost-write checker: a real HTTP server on loopback that answers the routes the load generator
 * and the read-back use, exactly in the gateway's shapes, and can be told to lose writes after
 * acknowledging them (and to answer the read-back degraded or 5xx). It keeps its own record of what
 * it acknowledged and what it really stored, so a spec knows every planted loss without asking the
 * checker under test.
 *
 * ```ts
 * const api = await FaultyApi.start();
 * api.faults.dropLikes = true;          // POST .../likes answers 200 liked:true, stores nothing
 * ... run the load against api.url ...
 * api.plantedLosses();                   // what the checker must report
 * await api.stop();
 * ```
 */

/** What the fake does wrong (all off: a correct API). */
export interface Faults {
  /** Acknowledge likes (200, `liked: true`) without storing them. */
  dropLikes: boolean;
  /** Acknowledge unlikes (200, `liked: false`) without removing the like: it comes back. */
  resurrectUnlikes: boolean;
  /** Acknowledge uploads (201 with a post) without storing them. */
  dropUploads: boolean;
  /** Store uploads with one byte of the image flipped. */
  corruptImages: boolean;
  /**
   * How `GET /api/posts/:id` and its image answer: `clean`; `degraded` (200 with `likedByViewer:
   * null`, `degraded: ["likes"]`; images 503); `5xx` (503 for both); `clean-once-then-5xx` (each
   * (user, post) and each image is answered cleanly once, then 503: a platform degrading again mid read-back);
   * `degraded-once-then-clean` (each is answered degraded once, then cleanly: a platform whose first
   * answers after recovering are still degraded).
   */
  reads: 'clean' | 'degraded' | '5xx' | 'clean-once-then-5xx' | 'degraded-once-then-clean';
  /**
   * How likes and unlikes answer: `clean` (200); `ambiguous` (the write is applied, the answer is
   * 503 `LIKES_UNAVAILABLE`: the client cannot know whether it happened, as after a timeout);
   * `5xx` (503, nothing applied).
   */
  likeWrites: 'clean' | 'ambiguous' | '5xx';
}

/** A (user, post) whose last like/unlike was not acknowledged, so the client cannot know its state; `kind` is that op's direction. */
export interface UncertainKey {
  kind: 'like' | 'unlike';
  user: string;
  postId: string;
}

/** One write the fake acknowledged and did not keep (as it stands at the end: a later acknowledged op may undo it). */
export interface PlantedLoss {
  kind: 'like' | 'unlike' | 'upload';
  user: string;
  postId: string;
  how: 'dropped' | 'resurrected' | 'corrupted';
}

interface StoredPost {
  id: string;
  author: string;
  caption: string;
  createdAt: string;
  image: Buffer;
  type: string;
}

const PASSWORD = 'failsoft';

/** A post id as the gateway makes them: `p_` + 16 base32 characters. */
function newPostId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return `p_${[...randomBytes(16)].map((b) => alphabet[b % 32]).join('')}`;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function error(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { error: { code, message } }, status === 503 ? { 'retry-after': '1' } : {});
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The faulty API; see the file's comment. */
export class FaultyApi {
  readonly faults: Faults = { dropLikes: false, resurrectUnlikes: false, dropUploads: false, corruptImages: false, reads: 'clean', likeWrites: 'clean' };
  /** Requests answered, by route (`GET /api/posts/:id` ...). */
  readonly requests = new Map<string, number>();
  private readonly posts = new Map<string, StoredPost>();
  private readonly likes = new Map<string, Set<string>>();
  /** (user|post) → the state the fake last acknowledged to the client. */
  private readonly acknowledged = new Map<string, boolean>();
  /** (user|post) → how the last acknowledged op was faked, when it was. */
  private readonly faked = new Map<string, PlantedLoss['how']>();
  private readonly uploadLosses = new Map<string, PlantedLoss>();
  private readonly idempotency = new Map<string, unknown>();
  private readonly cleanReads = new Set<string>();
  private readonly degradedReads = new Set<string>();
  /** (user|post) → direction of its last like/unlike, when that one was answered 503 (cleared by an acknowledged op). */
  private readonly unacknowledged = new Map<string, boolean>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Starts the fake on a free loopback port, with `seedPosts` posts in its feed. */
  static async start(seedPosts = 4): Promise<FaultyApi> {
    const holder: { api?: FaultyApi } = {};
    const server = createServer((req, res) => {
      void (holder.api as FaultyApi).handle(req, res).catch((e: unknown) => error(res, 500, 'INTERNAL', (e as Error).message));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const api = new FaultyApi(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    holder.api = api;
    for (let i = 0; i < seedPosts; i++) api.store({ id: newPostId(), author: 'alice', caption: `seed ${i}`, createdAt: new Date().toISOString(), image: randomBytes(64), type: 'image/png' });
    return api;
  }

  /** Stops the server (open keep-alive connections too). */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Every acknowledged write the fake did not keep, as things stand now: uploads dropped or
   * corrupted, and (user, post) keys whose stored state differs from the last state the fake
   * acknowledged (a dropped like or a resurrected unlike not undone by a later op). A key whose
   * last op was not acknowledged is no loss: see {@link uncertainKeys}.
   */
  plantedLosses(): PlantedLoss[] {
    const likes: PlantedLoss[] = [];
    for (const [key, state] of this.acknowledged) {
      if (this.unacknowledged.has(key)) continue;
      const [user, postId] = key.split('|');
      const stored = this.likes.get(postId)?.has(user) ?? false;
      if (stored !== state) likes.push({ kind: state ? 'like' : 'unlike', user, postId, how: this.faked.get(key) ?? 'dropped' });
    }
    return [...likes, ...this.uploadLosses.values()];
  }

  /** The (user, post) keys whose last like/unlike was answered 503 (their state is unknowable to the client), in no order. */
  uncertainKeys(): UncertainKey[] {
    return [...this.unacknowledged].map(([key, like]) => {
      const [user, postId] = key.split('|');
      return { kind: like ? 'like' : 'unlike', user, postId };
    });
  }

  /** Count of requests answered on `route` (`GET /api/posts/:id`). */
  count(route: string): number {
    return this.requests.get(route) ?? 0;
  }

  private store(post: StoredPost): void {
    this.posts.set(post.id, post);
  }

  private view(post: StoredPost, user: string | undefined, likesKnown: boolean): Record<string, unknown> {
    const likers = this.likes.get(post.id) ?? new Set<string>();
    return {
      id: post.id,
      author: post.author,
      caption: post.caption,
      createdAt: post.createdAt,
      imageUrl: `/api/posts/${post.id}/image`,
      likeCount: likesKnown ? likers.size : null,
      ...(likesKnown ? {} : { likeCountStale: true }),
      likedByViewer: likesKnown && user ? likers.has(user) : null,
    };
  }

  private userOf(req: IncomingMessage): string | undefined {
    const m = /^Bearer token-([a-z]+)$/.exec(req.headers.authorization ?? '');
    return m?.[1];
  }

  private hit(route: string): void {
    this.requests.set(route, (this.requests.get(route) ?? 0) + 1);
  }

  /** What a read answers under `faults.reads`: `clean`, `degraded` or `5xx`, for one read key. */
  private readMode(key: string): 'clean' | 'degraded' | '5xx' {
    const mode = this.faults.reads;
    if (mode === 'degraded-once-then-clean') {
      if (this.degradedReads.has(key)) return 'clean';
      this.degradedReads.add(key);
      return 'degraded';
    }
    if (mode !== 'clean-once-then-5xx') return mode;
    if (this.cleanReads.has(key)) return '5xx';
    this.cleanReads.add(key);
    return 'clean';
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const path = url.pathname;
    const user = this.userOf(req);
    let m: RegExpExecArray | null;
    if (req.method === 'POST' && path === '/api/auth/sign-in') {
      this.hit('POST /api/auth/sign-in');
      const body = JSON.parse((await bodyOf(req)).toString('utf8') || '{}') as { user?: string; password?: string };
      if (!body.user || !/^[a-z]+$/.test(body.user) || body.password !== PASSWORD) return error(res, 401, 'BAD_CREDENTIALS', 'unknown user or wrong password');
      return send(res, 200, { token: `token-${body.user}`, user: body.user });
    }
    if (req.method === 'GET' && path === '/api/health') {
      this.hit('GET /api/health');
      return send(res, 200, { status: 'ok', degraded: [] });
    }
    if (req.method === 'GET' && path === '/api/feed') {
      this.hit('GET /api/feed');
      const limit = Math.min(50, Number(url.searchParams.get('limit') ?? 20));
      const items = [...this.posts.values()].reverse().slice(0, limit);
      return send(res, 200, { items: items.map((p) => this.view(p, user, true)), nextCursor: null, degraded: [] });
    }
    if (req.method === 'POST' && path === '/api/posts') return this.create(req, res, user);
    if ((m = /^\/api\/posts\/([^/]+)\/likes$/.exec(path)) && (req.method === 'POST' || req.method === 'DELETE')) return this.like(res, user, decodeURIComponent(m[1]), req.method === 'POST');
    if (req.method === 'GET' && (m = /^\/api\/posts\/([^/]+)\/image$/.exec(path))) {
      this.hit('GET /api/posts/:id/image');
      const id = decodeURIComponent(m[1]);
      if (this.readMode(`image|${id}`) !== 'clean') return error(res, 503, 'UPLOAD_UNAVAILABLE', 'upload is unavailable right now; try again in 1 s');
      const post = this.posts.get(id);
      if (!post) return error(res, 404, 'POST_NOT_FOUND', `no post ${id}`);
      res.writeHead(200, { 'content-type': post.type, 'content-length': post.image.length });
      return void res.end(post.image);
    }
    if (req.method === 'GET' && (m = /^\/api\/posts\/([^/]+)$/.exec(path))) {
      this.hit('GET /api/posts/:id');
      const id = decodeURIComponent(m[1]);
      const mode = this.readMode(`${user}|${id}`);
      const post = this.posts.get(id);
      // degraded, it cannot say whether a post exists either
      if (mode === '5xx' || (mode === 'degraded' && !post)) return error(res, 503, 'FEED_UNAVAILABLE', 'posts are unavailable right now; try again in 1 s');
      if (!post) return error(res, 404, 'POST_NOT_FOUND', `no post ${id}`);
      return send(res, 200, { post: this.view(post, user, mode === 'clean'), degraded: mode === 'clean' ? [] : ['likes'] });
    }
    this.hit('unknown');
    error(res, 404, 'NOT_FOUND', `no route ${req.method} ${path}`);
  }

  private like(res: ServerResponse, user: string | undefined, postId: string, like: boolean): void {
    this.hit(like ? 'POST /api/posts/:id/likes' : 'DELETE /api/posts/:id/likes');
    if (!user) return error(res, 401, 'UNAUTHENTICATED', 'sign in first');
    if (!this.posts.has(postId)) return error(res, 404, 'POST_NOT_FOUND', `no post ${postId}`);
    const likers = this.likes.get(postId) ?? new Set<string>();
    this.likes.set(postId, likers);
    const key = `${user}|${postId}`;
    if (this.faults.likeWrites !== 'clean') {
      // ambiguous: applied for real, but the answer does not say so
      if (this.faults.likeWrites === 'ambiguous') {
        if (like) likers.add(user);
        else likers.delete(user);
      }
      this.unacknowledged.set(key, like);
      return error(res, 503, 'LIKES_UNAVAILABLE', 'likes are unavailable right now; try again in 1 s');
    }
    this.unacknowledged.delete(key);
    const fake = like ? this.faults.dropLikes : this.faults.resurrectUnlikes;
    if (!fake) {
      if (like) likers.add(user);
      else likers.delete(user);
      this.faked.delete(key);
    } else this.faked.set(key, like ? 'dropped' : 'resurrected');
    this.acknowledged.set(key, like);
    // the answer claims the write happened, whatever was stored
    send(res, 200, { postId, likeCount: likers.size + (fake && like ? 1 : 0), liked: like });
  }

  private async create(req: IncomingMessage, res: ServerResponse, user: string | undefined): Promise<void> {
    this.hit('POST /api/posts');
    if (!user) return error(res, 401, 'UNAUTHENTICATED', 'sign in first');
    const key = String(req.headers['idempotency-key'] ?? '');
    if (key && this.idempotency.has(key)) return send(res, 200, { post: this.idempotency.get(key), replayed: true });
    const body = await bodyOf(req);
    const form = await new Request(`${this.url}/api/posts`, { method: 'POST', headers: { 'content-type': String(req.headers['content-type']) }, body }).formData();
    const file = form.get('image');
    if (!(file instanceof Blob)) return error(res, 400, 'IMAGE_REQUIRED', 'the image part is missing');
    const bytes = Buffer.from(await file.arrayBuffer());
    const post: StoredPost = { id: newPostId(), author: user, caption: String(form.get('caption') ?? ''), createdAt: new Date().toISOString(), image: bytes, type: file.type || 'image/png' };
    if (this.faults.corruptImages) {
      const image = Buffer.from(bytes);
      image[Math.floor(image.length / 2)] ^= 0x01;
      this.store({ ...post, image });
      this.uploadLosses.set(post.id, { kind: 'upload', user, postId: post.id, how: 'corrupted' });
    } else if (this.faults.dropUploads) {
      this.uploadLosses.set(post.id, { kind: 'upload', user, postId: post.id, how: 'dropped' });
    } else this.store(post);
    const view = this.view(post, user, true);
    if (key) this.idempotency.set(key, view);
    send(res, 201, { post: view, replayed: false });
  }
}
