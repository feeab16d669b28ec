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
 * LIKE: KEYS[1] the post's set, ARGV[1] the user, ARGV[2] the deadline. Returns {added (0|1), count
 * after}, or {-1, -1} past the deadline. One script, so the count is the one right after this write
 * even under concurrent calls.
 */
const LIKE_SCRIPT = `${DEADLINE_FENCE}
local changed = redis.call('SADD', KEYS[1], ARGV[1])
return {changed, redis.call('SCARD', KEYS[1])}
`;

/** UNLIKE: as LIKE, with SREM. Returns {removed (0|1), count after}, or {-1, -1} past the deadline. */
const UNLIKE_SCRIPT = `${DEADLINE_FENCE}
local changed = redis.call('SREM', KEYS[1], ARGV[1])
return {changed, redis.call('SCARD', KEYS[1])}
`;

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
   * (epoch ms; `Infinity` = none). @throws LateWriteError, DurabilityError, Redis errors.
   */
  like(userId: string, postId: string, deadline = Infinity): Promise<LikeState> {
    return this.write(LIKE_SCRIPT, userId, postId, deadline);
  }

  /** Removes `userId` from the likers of `postId`; as {@link like}. */
  unlike(userId: string, postId: string, deadline = Infinity): Promise<LikeState> {
    return this.write(UNLIKE_SCRIPT, userId, postId, deadline);
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

  private async write(script: string, userId: string, postId: string, deadline: number): Promise<LikeState> {
    const fence = Number.isFinite(deadline) ? String(Math.ceil(deadline)) : '0';
    const { result } = await this.durable.eval<[number, number]>(script, [likesKey(postId)], [userId, fence]);
    if (Number(result[0]) === -1) throw new LateWriteError(deadline);
    return { changed: Number(result[0]) === 1, count: Number(result[1]) };
  }
}
