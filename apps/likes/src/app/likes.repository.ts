import { Inject, Injectable } from '@nestjs/common';
import { DurableWriter, type StateRedis } from '@failsoft/state';
import { STATE_REDIS } from '@failsoft/state/nest';

/** Key of the set of user ids who like `postId` (owned by likes, see docs/platform.md). */
export function likesKey(postId: string): string {
  return `failsoft:likes:${postId}`;
}

/**
 * The deadline fence of every write script: ARGV[2] is the call's deadline in epoch ms (0 = none).
 * Checked against Redis' own clock, inside the script, so a write whose caller has already given
 * up (and may have retried elsewhere and moved on to a later like/unlike) is never applied late:
 * a paused instance resumed by SIGCONT, or a command queued in a client while Redis failed over,
 * would otherwise re-apply an old like on top of a newer acknowledged unlike. Returns -1 when late.
 */
const DEADLINE_FENCE = `
local deadline = tonumber(ARGV[2])
if deadline > 0 then
  local now = redis.call('TIME')
  if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) > deadline then return {-1, -1} end
end
`;

/**
 * The once-per-key guard of a write with an idempotency key (KEYS[2], given only then): ARGV[3]
 * names the operation (`like:<post>` / `unlike:<post>`). A key already recorded for the same
 * operation answers {0, count} and writes nothing; for another operation {-2, -2}.
 */
const ONCE_GUARD = `
if #KEYS > 1 then
  local done = redis.call('GET', KEYS[2])
  if done then
    if done ~= ARGV[3] then return {-2, -2} end
    return {0, redis.call('SCARD', KEYS[1])}
  end
end
`;

/** Records the key of a write that has one, for ARGV[4] seconds. */
const RECORD_KEY = `
if #KEYS > 1 then redis.call('SET', KEYS[2], ARGV[3], 'EX', tonumber(ARGV[4])) end
`;

/**
 * LIKE: KEYS[1] the post's set (KEYS[2] the idempotency record, when the call has a key), ARGV[1]
 * the user, ARGV[2] the deadline. Returns {added (0|1), count after}, {-1, -1} past the deadline,
 * {-2, -2} for a key used by another operation. One script, so the count is the one right after
 * this write even under concurrent calls.
 */
const LIKE_SCRIPT = `${DEADLINE_FENCE}${ONCE_GUARD}
local changed = redis.call('SADD', KEYS[1], ARGV[1])
${RECORD_KEY}
return {changed, redis.call('SCARD', KEYS[1])}
`;

/** UNLIKE: as LIKE, with SREM. Returns {removed (0|1), count after}, or {-1, -1} / {-2, -2} as LIKE. */
const UNLIKE_SCRIPT = `${DEADLINE_FENCE}${ONCE_GUARD}
local changed = redis.call('SREM', KEYS[1], ARGV[1])
${RECORD_KEY}
return {changed, redis.call('SCARD', KEYS[1])}
`;

/**
 * How long an idempotency key of a like/unlike is remembered (10 min): a copy of a request
 * delivered later than this (a front door frozen for longer) would be applied again.
 */
export const LIKE_KEY_TTL_SECONDS = 600;

/** Key of the record of one idempotency key of `userId` (see {@link LIKE_KEY_TTL_SECONDS}). */
export function likeKeyRecord(userId: string, idempotencyKey: string): string {
  return `failsoft:likes:op:${userId}:${idempotencyKey}`;
}

/** Thrown when an idempotency key already served another like/unlike: nothing was written. */
export class KeyReusedError extends Error {
  /** Stable code. */
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
  constructor(readonly idempotencyKey: string) {
    super(`the idempotency key ${JSON.stringify(idempotencyKey.slice(0, 80))} was used for another like or unlike; send a new key per operation`);
    this.name = 'KeyReusedError';
  }
}

/** True for a {@link KeyReusedError}. */
export function isKeyReused(error: unknown): error is KeyReusedError {
  return error instanceof KeyReusedError;
}

/** Thrown when a write reached Redis after its call's deadline: nothing was written. */
export class LateWriteError extends Error {
  /** Stable code. */
  readonly code = 'LATE_WRITE';
  constructor(readonly deadline: number) {
    super(`the write reached Redis after its deadline (${new Date(deadline).toISOString()}); nothing was written`);
    this.name = 'LateWriteError';
  }
}

/** True for a {@link LateWriteError}. */
export function isLateWrite(error: unknown): error is LateWriteError {
  return error instanceof LateWriteError;
}

/** The like state of one post after a write. */
export interface LikeState {
  /** Whether the call changed anything (false for a duplicate). */
  changed: boolean;
  /** Users liking the post after the call. */
  count: number;
}

/** Count of one post, and whether the viewer (when asked) likes it. */
export interface PostLikes {
  postId: string;
  count: number;
  likedByViewer?: boolean;
}

/**
 * Redis access of the likes service. Likes are a set per post (`failsoft:likes:<postId>`) of user
 * ids, so Like/Unlike are idempotent per (user, post) by construction (SADD/SREM), even when
 * duplicates race. Writes go through the DurableWriter: they resolve only once WAIT confirmed the
 * replicas have them, so an acknowledged like survives a failover.
 */
@Injectable()
export class LikesRepository {
  constructor(
    @Inject(STATE_REDIS) private readonly redis: StateRedis,
    private readonly durable: DurableWriter,
  ) {}

  /**
   * Adds `userId` to the likers of `postId`, durably, unless Redis' clock is past `deadline`
   * (epoch ms; `Infinity` = none). With `idempotencyKey`, once per (user, key): a repeat answers
   * the current count and writes nothing. @throws LateWriteError, KeyReusedError (the key served
   * another operation), DurabilityError, Redis errors.
   */
  like(userId: string, postId: string, deadline = Infinity, idempotencyKey?: string): Promise<LikeState> {
    return this.write(LIKE_SCRIPT, { userId, postId, deadline, idempotencyKey, operation: `like:${postId}` });
  }

  /** Removes `userId` from the likers of `postId`; as {@link like}. */
  unlike(userId: string, postId: string, deadline = Infinity, idempotencyKey?: string): Promise<LikeState> {
    return this.write(UNLIKE_SCRIPT, { userId, postId, deadline, idempotencyKey, operation: `unlike:${postId}` });
  }

  /**
   * Counts of `postIds` (distinct ids) in one pipeline: SCARD per post, plus SISMEMBER per post when
   * `viewerId` is given. Unknown posts count 0.
   */
  async counts(postIds: readonly string[], viewerId?: string): Promise<PostLikes[]> {
    if (postIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const postId of postIds) {
      pipeline.scard(likesKey(postId));
      if (viewerId !== undefined) pipeline.sismember(likesKey(postId), viewerId);
    }
    const replies = (await pipeline.exec()) ?? [];
    for (const [error] of replies) if (error) throw error;
    const step = viewerId === undefined ? 1 : 2;
    return postIds.map((postId, i) => {
      const count = Number(replies[i * step][1]);
      return viewerId === undefined ? { postId, count } : { postId, count, likedByViewer: Number(replies[i * step + 1][1]) === 1 };
    });
  }

  private async write(script: string, op: { userId: string; postId: string; deadline: number; idempotencyKey?: string; operation: string }): Promise<LikeState> {
    const fence = Number.isFinite(op.deadline) ? String(Math.ceil(op.deadline)) : '0';
    const keys = op.idempotencyKey === undefined ? [likesKey(op.postId)] : [likesKey(op.postId), likeKeyRecord(op.userId, op.idempotencyKey)];
    const { result } = await this.durable.eval<[number, number]>(script, keys, [op.userId, fence, op.operation, String(LIKE_KEY_TTL_SECONDS)]);
    if (Number(result[0]) === -1) throw new LateWriteError(op.deadline);
    if (Number(result[0]) === -2) throw new KeyReusedError(op.idempotencyKey as string);
    return { changed: Number(result[0]) === 1, count: Number(result[1]) };
  }
}
