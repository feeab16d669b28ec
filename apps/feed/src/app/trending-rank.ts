/** A post considered for trending. */
export interface TrendingCandidate {
  readonly postId: string;
  readonly createdAtMs: number;
  readonly likeCount: number;
}

/** A ranked trending entry. */
export interface RankedPost extends TrendingCandidate {
  /** Higher is hotter; only the order is meaningful. */
  readonly score: number;
}

/** How fast age cools a post down (Hacker News' gravity). */
const GRAVITY = 1.5;

/**
 * Ranks recent posts for trending: `likes / (ageHours + 2) ^ 1.5` (likes count, age cools them
 * down), hottest first; ties go to more likes, then to the newer post. Posts nobody likes are
 * left out. Pure, for the trending job.
 */
export function rankTrending(candidates: readonly TrendingCandidate[], now: number, limit: number): RankedPost[] {
  return candidates
    .filter((c) => c.likeCount > 0)
    .map((c) => ({ ...c, score: c.likeCount / ((Math.max(0, now - c.createdAtMs) / 3_600_000 + 2) ** GRAVITY) }))
    .sort((x, y) => y.score - x.score || y.likeCount - x.likeCount || y.createdAtMs - x.createdAtMs || (x.postId < y.postId ? 1 : -1))
    .slice(0, limit);
}
