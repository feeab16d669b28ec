import { Inject, Injectable } from '@nestjs/common';
import { evalScript, type StateRedis } from '@failsoft/state';
import { STATE_REDIS } from '@failsoft/state/nest';
import type { FeedCursor } from './feed-cursor';
import { FeedKeys } from './feed.keys';

/** One timeline entry. */
export interface TimelineEntry {
  /** The post id. */
  readonly postId: string;
  /** Its score: createdAtMs as Redis prints it. */
  readonly score: string;
}

/** A post event to put on the timeline. */
export interface TimelinePost {
  readonly postId: string;
  readonly createdAtMs: number;
}

/**
 * PAGE. KEYS[1] timeline. ARGV: cursor post id ('' = first page), cursor score, count.
 * Newest first (score desc, then member desc as ZREVRANGE orders ties). After a cursor the page
 * starts right below the cursor's member (by rank, so newer posts added meanwhile do not shift
 * it); if that member is gone or moved, it starts below the cursor's score. Returns
 * [member, score, member, score, ...].
 */
const PAGE_SCRIPT = `
local n = tonumber(ARGV[3])
if ARGV[1] == '' then
  return redis.call('ZREVRANGE', KEYS[1], 0, n - 1, 'WITHSCORES')
end
local rank = redis.call('ZREVRANK', KEYS[1], ARGV[1])
if rank then
  local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if tonumber(score) == tonumber(ARGV[2]) then
    return redis.call('ZREVRANGE', KEYS[1], rank + 1, rank + n, 'WITHSCORES')
  end
end
return redis.call('ZREVRANGEBYSCORE', KEYS[1], '(' .. ARGV[2], '-inf', 'WITHSCORES', 'LIMIT', 0, n)
`;

/** Pairs a WITHSCORES reply. */
function entries(reply: unknown): TimelineEntry[] {
  const flat = (reply as string[] | null) ?? [];
  const out: TimelineEntry[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ postId: flat[i], score: flat[i + 1] });
  return out;
}

/** The timeline ZSET `failsoft:feed:timeline`: post ids scored by createdAtMs. */
@Injectable()
export class TimelineRepository {
  constructor(@Inject(STATE_REDIS) private readonly redis: StateRedis) {}

  /** Adds posts (ZADD: idempotent; a repeated event changes nothing). @throws the Redis error. */
  async addMany(posts: readonly TimelinePost[]): Promise<void> {
    if (posts.length === 0) return;
    const args: Array<string | number> = [];
    for (const post of posts) args.push(post.createdAtMs, post.postId);
    await this.redis.zadd(FeedKeys.timeline, ...args);
  }

  /** Removes deleted posts and their last-seen like counts (ZREM + HDEL: idempotent). @throws the Redis error. */
  async removeMany(postIds: readonly string[]): Promise<void> {
    if (postIds.length === 0) return;
    await this.redis.multi().zrem(FeedKeys.timeline, ...postIds).hdel(FeedKeys.counts, ...postIds).exec();
  }

  /** Up to `count` entries, newest first, after `cursor` (or from the newest). @throws the Redis error. */
  async page(cursor: FeedCursor | undefined, count: number): Promise<TimelineEntry[]> {
    return entries(await evalScript(this.redis, PAGE_SCRIPT, [FeedKeys.timeline], [cursor?.postId ?? '', cursor?.score ?? '0', count]));
  }

  /** The `count` newest entries. @throws the Redis error. */
  async recent(count: number): Promise<TimelineEntry[]> {
    return entries(await this.redis.zrevrange(FeedKeys.timeline, 0, count - 1, 'WITHSCORES'));
  }
}
