import { Inject, Injectable } from '@nestjs/common';
import { DurableWriter, type StateRedis } from '@failsoft/state';
import { STATE_REDIS } from '@failsoft/state/nest';

/** Key of the set of user ids who like `postId` (owned by likes, see docs/platform.md). */
export function likesKey(postId: string): string {
  return `failsoft:likes:${postId}`;
}

/**
 * LIKE: KEYS[1] the post's set, ARGV[1] the user. Returns {added (0|1), count after}.
 * One script, so the count is the one right after this write even under concurrent calls.
 */
const LIKE_SCRIPT = `
local changed = redis.call('SADD', KEYS[1], ARGV[1])
return {changed, redis.call('SCARD', KEYS[1])}
`;

/** UNLIKE: KEYS[1] the post's set, ARGV[1] the user. Returns {removed (0|1), count after}. */
const UNLIKE_SCRIPT = `
local changed = redis.call('SREM', KEYS[1], ARGV[1])
return {changed, redis.call('SCARD', KEYS[1])}
`;

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

  /** Adds `userId` to the likers of `postId`, durably. @throws DurabilityError, Redis errors. */
  like(userId: string, postId: string): Promise<LikeState> {
    return this.write(LIKE_SCRIPT, userId, postId);
  }

  /** Removes `userId` from the likers of `postId`, durably. @throws DurabilityError, Redis errors. */
  unlike(userId: string, postId: string): Promise<LikeState> {
    return this.write(UNLIKE_SCRIPT, userId, postId);
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

  private async write(script: string, userId: string, postId: string): Promise<LikeState> {
    const { result } = await this.durable.eval<[number, number]>(script, [likesKey(postId)], [userId]);
    return { changed: Number(result[0]) === 1, count: Number(result[1]) };
  }
}
