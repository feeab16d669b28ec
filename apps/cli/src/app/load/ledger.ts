/** One like or unlike sent for a (user, post), in the order sent (ops on one key never overlap). */
export interface LikeOp {
  user: string;
  postId: string;
  /** true = like (POST), false = unlike (DELETE). */
  like: boolean;
  /** Answered 200 with `liked` equal to `like`. */
  acknowledged: boolean;
  /** When it was sent (ms since the load started) and how it ended (`200`, `HTTP 503 ...`, `timeout`), for the report of a lost write. */
  at?: number;
  result?: string;
}

/** One acknowledged upload. */
export interface UploadRecord {
  user: string;
  postId: string;
  /** sha256 (hex) of the uploaded image's decoded pixels (pixel-digest.ts), compared with those of `GET /api/posts/:id/image`. */
  sha256: string;
}

/** What the read-back must find for one (user, post). */
export interface LikeExpectation {
  user: string;
  postId: string;
  /** `likedByViewer` the read-back must show. */
  liked: boolean;
}

/** Expectations of a ledger. */
export interface LikeExpectations {
  /** Keys whose final state is known from acknowledged ops. */
  certain: LikeExpectation[];
  /** Keys with ops but no knowable final state (the last acknowledged op is followed by an unacknowledged op the other way, or none was acknowledged). */
  uncertain: number;
}

/** `alice|post-1`. */
export function likeKey(user: string, postId: string): string {
  return `${user}|${postId}`;
}

/**
 * The final like state of every (user, post) a run touched, from its ops in order. A key is
 * certain when it has an acknowledged op and every later op (failed or timed out, so maybe applied,
 * maybe not) goes the same way: like and unlike are idempotent, so applying it or not ends in the
 * same state. Otherwise it is uncertain and not judged.
 */
export function expectedLikes(ops: readonly LikeOp[]): LikeExpectations {
  const byKey = new Map<string, LikeOp[]>();
  for (const op of ops) {
    const key = likeKey(op.user, op.postId);
    const list = byKey.get(key);
    if (list) list.push(op);
    else byKey.set(key, [op]);
  }
  const certain: LikeExpectation[] = [];
  let uncertain = 0;
  for (const list of byKey.values()) {
    let last = -1;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i].acknowledged) {
        last = i;
        break;
      }
    }
    if (last === -1 || list.slice(last + 1).some((op) => op.like !== list[last].like)) {
      uncertain++;
      continue;
    }
    certain.push({ user: list[last].user, postId: list[last].postId, liked: list[last].like });
  }
  return { certain, uncertain };
}

/** A (user, post) whose final state is not knowable from the ledger, and the op to send again to make it so. */
export interface UncertainLike {
  user: string;
  postId: string;
  /** Direction of the last op sent on the key (the one to repeat: like and unlike are idempotent). */
  like: boolean;
}

/**
 * The uncertain keys of {@link expectedLikes}, each with the direction of its last op: repeating
 * that op until it is acknowledged makes the key certain (the read-back does so before judging).
 */
export function uncertainLikes(ops: readonly LikeOp[]): UncertainLike[] {
  const last = new Map<string, LikeOp>();
  for (const op of ops) last.set(likeKey(op.user, op.postId), op);
  const certain = new Set(expectedLikes(ops).certain.map((e) => likeKey(e.user, e.postId)));
  return [...last.entries()].filter(([key]) => !certain.has(key)).map(([, op]) => ({ user: op.user, postId: op.postId, like: op.like }));
}

/** What one read-back saw of a like: `null` when it is no verdict (likes unknown, degraded, or no answer). */
export function likeVerdict(expected: boolean, read: { status: number; likedByViewer?: boolean | null; degraded?: readonly string[] }): 'ok' | 'lost' | null {
  if (read.status !== 200 || read.likedByViewer === null || read.likedByViewer === undefined || (read.degraded?.length ?? 0) > 0) return null;
  return read.likedByViewer === expected ? 'ok' : 'lost';
}

/**
 * The acknowledged-write ledger of a load run: every like/unlike in the order sent per key, and
 * every acknowledged upload with the hash of its bytes.
 */
export class WriteLedger {
  readonly likeOps: LikeOp[] = [];
  readonly uploads: UploadRecord[] = [];

  /** Records a like/unlike once it ended (acknowledged or not). */
  recordLike(op: LikeOp): void {
    this.likeOps.push(op);
  }

  /** Records an acknowledged upload. */
  recordUpload(upload: UploadRecord): void {
    this.uploads.push(upload);
  }

  /** Acknowledged writes: uploads plus acknowledged likes and unlikes. */
  get acknowledged(): number {
    return this.uploads.length + this.likeOps.filter((op) => op.acknowledged).length;
  }

  /** See {@link expectedLikes}. */
  expectations(): LikeExpectations {
    return expectedLikes(this.likeOps);
  }
}
