import { causeOf, type ApiCall, type LoadApi } from './api-client';
import { pixelDigest } from './pixel-digest';
import { likeVerdict, uncertainLikes, type LikeExpectation, type UploadRecord, type WriteLedger } from './ledger';

/** One acknowledged write the platform does not show after recovery. */
export interface LostWrite {
  kind: 'like' | 'unlike' | 'upload';
  user: string;
  postId: string;
  /** What the last clean read-back saw, e.g. `likedByViewer false`, `GET /api/posts/:id 404`. */
  seen: string;
  /** For a like/unlike: the last ops on that (user, post), e.g. `+2.5s like 200, +3.1s unlike HTTP 503 LIKES_UNAVAILABLE`. */
  history?: string;
}

/** One acknowledged write that no read answered cleanly within the verification window. */
export interface UnverifiedWrite {
  kind: 'like' | 'unlike' | 'upload';
  user: string;
  postId: string;
  /** The last answer, e.g. `GET /api/posts/:id 503`, `likedByViewer null (degraded: likes)`, `like not acknowledged: HTTP 503 ...`. */
  seen: string;
}

/** The requests the read-back made (apart from the load's: they never count in its availability). */
export interface ReadBackRequests {
  /** Every request of the read-back (reads, and the repeats that settle uncertain like states). */
  total: number;
  /** Answers that were no verdict: 5xx, no answer, degraded or unknown like state. */
  noVerdict: number;
  /** Those answers by cause, most frequent first: `HTTP 503`, `degraded: likes`, `timeout`. */
  causes: Array<{ cause: string; count: number }>;
}

/** What the read-back found. */
export interface ReadBackResult {
  /** Acknowledged uploads checked. */
  uploads: number;
  /** (user, post) keys with a knowable final state, checked. */
  likeKeys: number;
  /** Keys whose final state stayed unknowable: their last op failed and repeating it was never acknowledged in the window. Counted in {@link unverified} too. */
  uncertainLikeKeys: number;
  /** Keys that were uncertain after the load and became certain by repeating their last op. */
  settledLikeKeys: number;
  /** Acknowledged writes whose last clean read showed them missing or wrong (real data loss). */
  lost: LostWrite[];
  /** Acknowledged writes (and uncertain like states) that no read answered cleanly within the window: not proven kept. */
  unverified: UnverifiedWrite[];
  /** Rounds of reads. */
  rounds: number;
  /** The verification window, ms. */
  windowMs: number;
  requests: ReadBackRequests;
  /** How long the read-back took, ms (waiting for a healthy platform included). */
  ms: number;
}

/** Options of {@link readBack}. */
export interface ReadBackOptions {
  /** The verification window: how long to keep re-reading writes without a clean read (default 30 s), counted once the platform is healthy. */
  windowMs?: number;
  /** @deprecated the old name of {@link windowMs}. */
  settleMs?: number;
  /** Resolves once the platform is healthy again; the window starts then (rejecting: it starts at once, and the reason is logged). */
  waitHealthy?: () => Promise<void>;
  /** Pause between rounds (default 500 ms). */
  intervalMs?: number;
  /** Reads at once (default 8). */
  concurrency?: number;
  /** A line per round while writes are pending. */
  log?: (line: string) => void;
}

type Check = { kind: 'upload'; upload: UploadRecord } | { kind: 'like'; expect: LikeExpectation };
type Verdict = { verdict: 'ok' | 'lost' | null; seen: string };

interface Pending {
  check: Check;
  /** The last clean answer that showed the write missing or wrong. */
  lost?: string;
  /** The last answer that was no verdict. */
  unknown?: string;
}

/** Counts every read-back request and the causes of answers that were no verdict. */
class RequestTally {
  total = 0;
  noVerdict = 0;
  private readonly causes = new Map<string, number>();
  call<T>(call: ApiCall<T>): ApiCall<T> {
    this.total++;
    return call;
  }
  unclear(cause: string): void {
    this.noVerdict++;
    this.causes.set(cause, (this.causes.get(cause) ?? 0) + 1);
  }
  report(): ReadBackRequests {
    return { total: this.total, noVerdict: this.noVerdict, causes: [...this.causes].map(([cause, count]) => ({ cause, count })).sort((a, b) => b.count - a.count) };
  }
}

async function checkUpload(api: LoadApi, tally: RequestTally, token: string, upload: UploadRecord): Promise<Verdict> {
  const post = tally.call(await api.post(token, upload.postId));
  if (post.status === 404) return { verdict: 'lost', seen: 'GET /api/posts/:id 404' };
  if (post.status !== 200) return { verdict: null, seen: `GET /api/posts/:id ${causeOf(post)}` };
  const image = tally.call(await api.image(upload.postId));
  if (image.status === 404) return { verdict: 'lost', seen: 'GET /api/posts/:id/image 404' };
  if (image.status !== 200) return { verdict: null, seen: `GET /api/posts/:id/image ${causeOf(image)}` };
  // originals are re-encoded by the upload service: the pixels are compared, not the bytes
  const pixels = await pixelDigest(image.bytes);
  if (pixels === undefined) return { verdict: 'lost', seen: `image does not decode (${image.bytes.length} bytes)` };
  return pixels === upload.sha256 ? { verdict: 'ok', seen: 'ok' } : { verdict: 'lost', seen: `image pixels differ (${image.bytes.length} bytes)` };
}

async function checkLike(api: LoadApi, tally: RequestTally, token: string, expect: LikeExpectation): Promise<Verdict> {
  const res = tally.call(await api.post(token, expect.postId));
  const verdict = likeVerdict(expect.liked, { status: res.status, likedByViewer: res.json?.post?.likedByViewer, degraded: res.json?.degraded });
  const seen =
    res.status === 200 ? `likedByViewer ${String(res.json?.post?.likedByViewer)}${res.json?.degraded?.length ? ` (degraded: ${res.json.degraded.join(',')})` : ''}` : `GET /api/posts/:id ${causeOf(res)}`;
  return { verdict, seen };
}

function describe(c: Check): { kind: LostWrite['kind']; user: string; postId: string } {
  return c.kind === 'upload' ? { kind: 'upload', user: c.upload.user, postId: c.upload.postId } : { kind: c.expect.liked ? 'like' : 'unlike', user: c.expect.user, postId: c.expect.postId };
}

function tokenGetter(tokens: ReadonlyMap<string, string>): (user: string) => string {
  return (user) => {
    const token = tokens.get(user);
    if (!token) throw new Error(`no token for ${user}`);
    return token;
  };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Makes the uncertain like states of `ledger` certain: repeats the last op of each (like and unlike
 * are idempotent, so once one is acknowledged the final state is known) until acknowledged or
 * `deadline`. The repeats go into the ledger. @returns the keys still uncertain, with the last answer.
 */
async function settleUncertain(api: LoadApi, tally: RequestTally, tokenOf: (user: string) => string, ledger: WriteLedger, deadline: number, options: ReadBackOptions): Promise<{ settled: number; left: UnverifiedWrite[] }> {
  let open = uncertainLikes(ledger.likeOps).map((u) => ({ ...u, seen: 'not repeated yet' }));
  const initial = open.length;
  while (open.length > 0) {
    const next: typeof open = [];
    for (const u of open) {
      const res = tally.call(await api.setLike(tokenOf(u.user), u.postId, u.like));
      const acknowledged = res.status === 200 && res.json?.liked === u.like;
      ledger.recordLike({ user: u.user, postId: u.postId, like: u.like, acknowledged, result: `read-back repeat ${acknowledged ? res.status : causeOf(res)}` });
      if (!acknowledged) {
        tally.unclear(causeOf(res));
        next.push({ ...u, seen: `${u.like ? 'like' : 'unlike'} not acknowledged: ${causeOf(res)}` });
      }
    }
    open = next;
    if (open.length === 0 || Date.now() >= deadline) break;
    options.log?.(`[read-back] ${open.length} uncertain like states: repeating their last op`);
    await pause(options.intervalMs ?? 500);
  }
  return { settled: initial - open.length, left: open.map((u) => ({ kind: u.like ? 'like' : 'unlike', user: u.user, postId: u.postId, seen: u.seen })) };
}

/** One round: reads every pending write once. @returns what is still pending. */
async function readRound(api: LoadApi, tally: RequestTally, tokenOf: (user: string) => string, pending: Pending[], concurrency: number): Promise<Pending[]> {
  const next: Pending[] = [];
  for (let i = 0; i < pending.length; i += concurrency) {
    await Promise.all(
      pending.slice(i, i + concurrency).map(async (p) => {
        const c = p.check;
        const r = c.kind === 'upload' ? await checkUpload(api, tally, tokenOf(c.upload.user), c.upload) : await checkLike(api, tally, tokenOf(c.expect.user), c.expect);
        if (r.verdict === 'ok') return;
        if (r.verdict === null) tally.unclear(r.seen.replace(/^GET \S+ /, ''));
        // a clean mismatch is kept until a clean read shows the write; a read without verdict never erases it
        next.push(r.verdict === 'lost' ? { check: c, lost: r.seen } : { check: c, lost: p.lost, unknown: r.seen });
      }),
    );
  }
  return next;
}

/**
 * Reads every acknowledged write of `ledger` back through the public API: each upload must be
 * readable (`GET /api/posts/:id` 200, its image byte for byte), and each (user, post) must show its
 * final `likedByViewer` (an uncertain one is made certain first by repeating its last op).
 *
 * Waits for `waitHealthy` first; then a write without a clean read (degraded, likes unknown, 5xx,
 * no answer) and a mismatch are re-read until a clean read shows the write or the verification
 * window ends. Then a write whose last clean read showed it missing or wrong is **lost**, and one
 * that never read cleanly is **unverified**: neither is ever reported as kept.
 */
export async function readBack(api: LoadApi, tokens: ReadonlyMap<string, string>, ledger: WriteLedger, options: ReadBackOptions = {}): Promise<ReadBackResult> {
  const started = Date.now();
  const windowMs = options.windowMs ?? options.settleMs ?? 30_000;
  const concurrency = options.concurrency ?? 8;
  const tally = new RequestTally();
  const tokenOf = tokenGetter(tokens);
  if (options.waitHealthy) {
    await options.waitHealthy().catch((error: unknown) => options.log?.(`[read-back] the platform is not healthy (${(error as Error).message}); reading back anyway`));
  }
  const deadline = Date.now() + windowMs;
  const { settled, left } = await settleUncertain(api, tally, tokenOf, ledger, deadline, options);
  const { certain } = ledger.expectations();
  let pending: Pending[] = [...ledger.uploads.map((upload): Pending => ({ check: { kind: 'upload', upload } })), ...certain.map((expect): Pending => ({ check: { kind: 'like', expect } }))];
  let rounds = 0;
  while (pending.length > 0) {
    pending = await readRound(api, tally, tokenOf, pending, concurrency);
    rounds++;
    if (pending.length === 0 || Date.now() >= deadline) break;
    options.log?.(
      `[read-back] round ${rounds}: ${pending.length} writes not confirmed yet (${pending.filter((p) => p.lost).length} mismatched, re-reading for up to ${Math.ceil((deadline - Date.now()) / 1000)} s more)`,
    );
    await pause(options.intervalMs ?? 500);
  }
  const historyOf = (user: string, postId: string): string =>
    ledger.likeOps
      .filter((op) => op.user === user && op.postId === postId)
      .slice(-6)
      .map((op) => `${op.at === undefined ? '' : `+${(op.at / 1000).toFixed(1)}s `}${op.like ? 'like' : 'unlike'} ${op.result ?? (op.acknowledged ? 'acknowledged' : 'failed')}`)
      .join(', ');
  const lost = pending
    .filter((p) => p.lost !== undefined)
    .map((p): LostWrite => {
      const d = describe(p.check);
      const history = d.kind === 'upload' ? '' : historyOf(d.user, d.postId);
      return { ...d, seen: `${p.lost}${p.unknown ? `; later reads: ${p.unknown}` : ''}`, ...(history ? { history } : {}) };
    });
  const unverified = [...pending.filter((p) => p.lost === undefined).map((p): UnverifiedWrite => ({ ...describe(p.check), seen: p.unknown ?? '?' })), ...left];
  return { uploads: ledger.uploads.length, likeKeys: certain.length, uncertainLikeKeys: left.length, settledLikeKeys: settled, lost, unverified, rounds, windowMs, requests: tally.report(), ms: Date.now() - started };
}
