/** Redis keys the feed reads and writes (see docs/platform.md, "Redis keys"). */
export const FeedKeys = {
  /** Stream of post events appended by upload: `type created postId <id> createdAtMs <ms>`. */
  posts: 'failsoft:posts',
  /** Consumer group of the feed on the post stream. */
  group: 'feed',
  /** ZSET: post id scored by createdAtMs. */
  timeline: 'failsoft:feed:timeline',
  /** HASH: last-seen like count per post id (the stale fallback). */
  counts: 'failsoft:feed:counts',
  /** STRING (JSON): the latest trending result, written fenced by the leader. */
  trending: 'failsoft:feed:trending',
  /** Lease name of the trending singleton. */
  trendingLease: 'feed-trending',
  /** HASH of a post, written by upload. */
  post: (postId: string): string => `failsoft:post:${postId}`,
} as const;
