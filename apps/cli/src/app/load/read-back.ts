import { createHash } from 'node:crypto';
import type { LoadApi } from './api-client';
import { likeVerdict, type LikeExpectation, type UploadRecord, type WriteLedger } from './ledger';

/** One acknowledged write the platform does not show after recovery. */
export interface LostWrite {
  kind: 'like' | 'unlike' | 'upload';
  user: string;
  postId: string;
  /** What the read-back saw, e.g. `likedByViewer false`, `GET /api/posts/:id 404`. */
  seen: string;
  /** For a like/unlike: the last ops on that (user, post), e.g. `+2.5s like 200, +3.1s unlike HTTP 503 LIKES_UNAVAILABLE`. */
  history?: string;
}

/** What the read-back found. */
export interface ReadBackResult {
  /** Acknowledged uploads checked. */
  uploads: number;
  /** (user, post) keys with a knowable final state, checked. */
  likeKeys: number;
  /** Keys not judged: their last op failed or timed out after an acknowledged op the other way. */
  uncertainLikeKeys: number;
  /** Acknowledged writes not found (real data loss). */
  lost: LostWrite[];
  /** Writes the read-back could not judge within the settle window (no verdict: degraded or errors). */
  unverified: Array<{ kind: 'like' | 'unlike' | 'upload'; user: string; postId: string; seen: string }>;
  /** How long the read-back took, ms. */
  ms: number;
}

/** Options of {@link readBack}. */
export interface ReadBackOptions {
  /** How long to keep re-reading writes without a verdict (or a mismatch) before judging (default 30 s). */
  settleMs?: number;
  /** Pause between rounds (default 500 ms). */
  intervalMs?: number;
  /** Reads at once (default 8). */
  concurrency?: number;
  /** A line per round while writes are pending. */
  log?: (line: string) => void;
}

type Check = { kind: 'upload'; upload: UploadRecord } | { kind: 'like'; expect: LikeExpectation };

interface Pending {
  check: Check;
  /** The last answer that was a verdict of loss (kept if the settle window ends on it). */
  lost?: string;
  /** The last answer that was no verdict. */
  unknown?: string;
}

async function checkUpload(api: LoadApi, token: string, upload: UploadRecord): Promise<{ verdict: 'ok' | 'lost' | null; seen: string }> {
  const post = await api.post(token, upload.postId);
  if (post.status === 404) return { verdict: 'lost', seen: 'GET /api/posts/:id 404' };
  if (post.status !== 200) return { verdict: null, seen: `GET /api/posts/:id ${post.status || post.error}` };
  const image = await api.image(upload.postId);
  if (image.status === 404) return { verdict: 'lost', seen: 'GET /api/posts/:id/image 404' };
  if (image.status !== 200) return { verdict: null, seen: `GET /api/posts/:id/image ${image.status || image.error}` };
  const sha = createHash('sha256').update(image.bytes).digest('hex');
  return sha === upload.sha256 ? { verdict: 'ok', seen: 'ok' } : { verdict: 'lost', seen: `image bytes differ (${image.bytes.length} bytes)` };
}

async function checkLike(api: LoadApi, token: string, expect: LikeExpectation): Promise<{ verdict: 'ok' | 'lost' | null; seen: string }> {
  const res = await api.post(token, expect.postId);
  const verdict = likeVerdict(expect.liked, { status: res.status, likedByViewer: res.json?.post?.likedByViewer, degraded: res.json?.degraded });
  const seen = res.status === 200 ? `likedByViewer ${String(res.json?.post?.likedByViewer)}${res.json?.degraded?.length ? ` (degraded: ${res.json.degraded.join(',')})` : ''}` : `GET /api/posts/:id ${res.status || res.error}`;
  return { verdict, seen };
}

/**
 * Reads every acknowledged write of `ledger` back through the public API: each upload must be
 * readable (`GET /api/posts/:id` 200, its image byte for byte), and each (user, post) with a known
 * final state must show that `likedByViewer`. Answers that are no verdict (likes unknown or
 * degraded, 5xx, no answer) and mismatches are re-read until `settleMs` passes, so a platform still
 * settling after recovery is not blamed; what still mismatches then is lost, what still has no
 * verdict is unverified.
 */
export async function readBack(api: LoadApi, tokens: ReadonlyMap<string, string>, ledger: WriteLedger, options: ReadBackOptions = {}): Promise<ReadBackResult> {
  const started = Date.now();
  const settleMs = options.settleMs ?? 30_000;
  const concurrency = options.concurrency ?? 8;
  const { certain, uncertain } = ledger.expectations();
  let pending: Pending[] = [...ledger.uploads.map((upload): Pending => ({ check: { kind: 'upload', upload } })), ...certain.map((expect): Pending => ({ check: { kind: 'like', expect } }))];
  const tokenOf = (user: string): string => {
    const token = tokens.get(user);
    if (!token) throw new Error(`no token for ${user}`);
    return token;
  };
  for (let round = 1; pending.length > 0; round++) {
    const next: Pending[] = [];
    for (let i = 0; i < pending.length; i += concurrency) {
      await Promise.all(
        pending.slice(i, i + concurrency).map(async (p) => {
          const c = p.check;
          const r = c.kind === 'upload' ? await checkUpload(api, tokenOf(c.upload.user), c.upload) : await checkLike(api, tokenOf(c.expect.user), c.expect);
          if (r.verdict === 'ok') return;
          next.push(r.verdict === 'lost' ? { check: c, lost: r.seen } : { check: c, lost: p.lost, unknown: r.seen });
        }),
      );
    }
    pending = next;
    if (pending.length === 0 || Date.now() - started >= settleMs) break;
    options.log?.(`[read-back] round ${round}: ${pending.length} writes not confirmed yet (${pending.filter((p) => p.lost).length} mismatched, re-reading for up to ${Math.ceil((settleMs - (Date.now() - started)) / 1000)} s more)`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
  }
  const describe = (c: Check): { kind: LostWrite['kind']; user: string; postId: string } =>
    c.kind === 'upload' ? { kind: 'upload', user: c.upload.user, postId: c.upload.postId } : { kind: c.expect.liked ? 'like' : 'unlike', user: c.expect.user, postId: c.expect.postId };
  return {
    uploads: ledger.uploads.length,
    likeKeys: certain.length,
    uncertainLikeKeys: uncertain,
    lost: pending
      .filter((p) => p.lost && !p.unknown)
      .map((p) => {
        const d = describe(p.check);
        const ops = d.kind === 'upload' ? [] : ledger.likeOps.filter((op) => op.user === d.user && op.postId === d.postId).slice(-6);
        const history = ops.map((op) => `${op.at === undefined ? '' : `+${(op.at / 1000).toFixed(1)}s `}${op.like ? 'like' : 'unlike'} ${op.result ?? (op.acknowledged ? 'acknowledged' : 'failed')}`).join(', ');
        return { ...d, seen: p.lost as string, ...(history ? { history } : {}) };
      }),
    unverified: pending.filter((p) => !p.lost || p.unknown).map((p) => ({ ...describe(p.check), seen: p.unknown ?? p.lost ?? '?' })),
    ms: Date.now() - started,
  };
}
