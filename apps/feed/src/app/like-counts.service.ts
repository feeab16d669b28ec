import { Inject, Injectable } from '@nestjs/common';
import type { CountsResponseOutput, LikesMethods } from '@failsoft/contracts';
import { Sidecar, type Logger, type ServiceClient, type TypedClient } from '@failsoft/sidecar';
import { InjectSidecarClient } from '@failsoft/sidecar/nest';
import type { StateRedis } from '@failsoft/state';
import { STATE_REDIS } from '@failsoft/state/nest';
import { FeedKeys } from './feed.keys';

/** The like state of one post as the feed knows it. */
export interface KnownCount {
  /** Like count (decimal string, as int64 travels). */
  readonly count: string;
  /** Whether the viewer likes it (fresh answers with a viewer only). */
  readonly likedByViewer?: boolean;
}

/** Like counts of a set of posts, fresh from the likes service or last-seen. */
export interface LikeCounts {
  /** True when the likes service answered; false when these are last-seen values (or none). */
  readonly fresh: boolean;
  /** Known counts by post id; a post absent here has no known count at all. */
  readonly counts: ReadonlyMap<string, KnownCount>;
}

/**
 * Like counts for the feed: asks the likes service (`Counts`, idempotent) under a short deadline
 * through the sidecar client (breaker, retries within the deadline, fallback), remembers every
 * fresh answer in `failsoft:feed:counts`, and when likes is slow or down answers the last-seen
 * counts from that hash instead (`fresh: false`). Never throws.
 */
@Injectable()
export class LikeCountsService {
  private readonly logger: Logger;
  private readonly likes: TypedClient<LikesMethods>;

  constructor(
    @InjectSidecarClient('likes') client: ServiceClient,
    @Inject(STATE_REDIS) private readonly redis: StateRedis,
    @Inject(Sidecar) sidecar: Sidecar,
  ) {
    this.logger = sidecar.logger.child({ component: 'like-counts' });
    this.likes = client.typed<LikesMethods>();
  }

  /**
   * Counts of `postIds` (valid, distinct ids). `timeoutMs` overrides the client's deadline (the
   * trending job, off the request path, can wait longer).
   */
  async fetch(postIds: readonly string[], viewerId?: string, timeoutMs?: number): Promise<LikeCounts> {
    if (postIds.length === 0) return { fresh: true, counts: new Map() };
    let reply: CountsResponseOutput | undefined;
    try {
      reply = await this.likes.Counts(
        { postIds: [...postIds], viewerId: viewerId ?? '' },
        { timeoutMs, fallback: () => undefined },
      );
    } catch (error) {
      // not a degradation the client serves a fallback for (e.g. INVALID_ARGUMENT): still degrade, never fail the feed
      this.logger.warn('likes Counts failed; serving last-seen counts', { error: error instanceof Error ? error.message : String(error) });
    }
    if (reply !== undefined) {
      const counts = new Map<string, KnownCount>();
      for (const entry of reply.counts) counts.set(entry.postId, { count: entry.count, likedByViewer: viewerId === undefined ? undefined : entry.likedByViewer });
      this.remember(counts);
      return { fresh: true, counts };
    }
    return { fresh: false, counts: await this.lastSeen(postIds) };
  }

  /** Stores fresh counts as the last-seen ones (best effort, not awaited by the caller). */
  private remember(counts: ReadonlyMap<string, KnownCount>): void {
    if (counts.size === 0) return;
    const args: string[] = [];
    for (const [postId, { count }] of counts) args.push(postId, count);
    this.redis.hset(FeedKeys.counts, ...args).catch((error: unknown) => this.logger.debug('could not store last-seen counts', { error: String(error) }));
  }

  /** Last-seen counts of `postIds` (none when Redis fails too). */
  private async lastSeen(postIds: readonly string[]): Promise<Map<string, KnownCount>> {
    const counts = new Map<string, KnownCount>();
    try {
      const values = await this.redis.hmget(FeedKeys.counts, ...postIds);
      postIds.forEach((postId, i) => {
        const value = values[i];
        if (value !== null && /^\d{1,16}$/.test(value)) counts.set(postId, { count: value });
      });
    } catch (error) {
      this.logger.debug('could not read last-seen counts', { error: String(error) });
    }
    return counts;
  }
}
