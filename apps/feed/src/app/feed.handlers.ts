import { Inject, Injectable } from '@nestjs/common';
import {
  CONTRACT_LIMITS,
  feedServiceDefinition,
  type FeedItem,
  type GetFeedRequestOutput,
  type GetFeedResponse,
  type GetTrendingRequestOutput,
  type GetTrendingResponse,
  type TrendingItem,
  type FeedServiceHandlers,
} from '@failsoft/contracts';
import { Sidecar, type HandlerContext, type Logger } from '@failsoft/sidecar';
import { SidecarHandlers } from '@failsoft/sidecar/nest';
import type { StateRedis } from '@failsoft/state';
import { STATE_REDIS } from '@failsoft/state/nest';
import { decodeCursor, encodeCursor } from './feed-cursor';
import { FeedKeys } from './feed.keys';
import { optionalViewerId, pageLimit } from './feed.validation';
import { LikeCountsService } from './like-counts.service';
import { PostRepository } from './post.repository';
import { toStateError } from './state-unavailable.error';
import { TimelineRepository } from './timeline.repository';
import type { TrendingResult } from './trending.job';

/**
 * gRPC handlers of `failsoft.feed.v1.FeedService`.
 *
 * - `GetFeed`: one page of the timeline, newest first, with an opaque cursor; posts come from the
 *   upload service's `failsoft:post:{id}` hashes (timeline entries whose post is not readable are
 *   skipped); like counts come from the likes service under a short deadline, else the last-seen
 *   counts marked `like_count_stale` with `degraded: ['likes']` (a post never counted has no
 *   `like_count`). A dead or slow likes service never fails or slows GetFeed beyond its deadline.
 * - `GetTrending`: the last result of the trending singleton, with its leader and fencing token.
 * - Bad input (cursor, limit, viewer id) → INVALID_ARGUMENT; Redis unreachable → UNAVAILABLE.
 */
@Injectable()
@SidecarHandlers(feedServiceDefinition())
export class FeedHandlers implements FeedServiceHandlers<HandlerContext> {
  private readonly logger: Logger;

  constructor(
    private readonly timeline: TimelineRepository,
    private readonly posts: PostRepository,
    private readonly likeCounts: LikeCountsService,
    @Inject(STATE_REDIS) private readonly redis: StateRedis,
    @Inject(Sidecar) sidecar: Sidecar,
  ) {
    this.logger = sidecar.logger.child({ component: 'feed-handlers' });
  }

  /** One page of the timeline, newest first, enriched with like counts. */
  async GetFeed(request: GetFeedRequestOutput, _ctx: HandlerContext): Promise<GetFeedResponse> {
    const limit = pageLimit(request.limit, CONTRACT_LIMITS.feedPageDefault, CONTRACT_LIMITS.feedPageMax);
    const cursor = request.cursor === '' ? undefined : decodeCursor(request.cursor);
    const viewerId = optionalViewerId(request.viewerId);
    let page;
    let posts;
    try {
      page = await this.timeline.page(cursor, limit + 1);
      posts = await this.posts.getMany(page.slice(0, limit).map((e) => e.postId));
    } catch (error) {
      throw toStateError(error, 'GetFeed');
    }
    const entries = page.slice(0, limit);
    const shown = entries.filter((e) => posts.has(e.postId));
    const likes = await this.likeCounts.fetch(
      shown.map((e) => e.postId),
      viewerId,
    );
    const items = shown.map((entry): FeedItem => {
      const known = likes.counts.get(entry.postId);
      const item: FeedItem = { post: posts.get(entry.postId), likeCountStale: known !== undefined && !likes.fresh };
      if (known !== undefined) item.likeCount = known.count;
      if (known?.likedByViewer !== undefined) item.likedByViewer = known.likedByViewer;
      return item;
    });
    const last = entries[entries.length - 1];
    return {
      items,
      nextCursor: page.length > limit && last !== undefined ? encodeCursor(last) : '',
      degraded: likes.fresh ? [] : ['likes'],
    };
  }

  /** The latest trending result (empty, token 0, before the job's first run). */
  async GetTrending(request: GetTrendingRequestOutput, _ctx: HandlerContext): Promise<GetTrendingResponse> {
    const limit = pageLimit(request.limit, CONTRACT_LIMITS.trendingDefault, CONTRACT_LIMITS.trendingMax);
    let result: TrendingResult | undefined;
    let posts;
    try {
      result = this.parseTrending(await this.redis.get(FeedKeys.trending));
      posts = await this.posts.getMany((result?.items ?? []).map((i) => i.postId));
    } catch (error) {
      throw toStateError(error, 'GetTrending');
    }
    if (result === undefined) return { items: [], leaderInstanceId: '', fencingToken: 0, computedAtMs: 0 };
    const items = result.items
      .filter((i) => posts.has(i.postId))
      .slice(0, limit)
      .map((i): TrendingItem => ({ post: posts.get(i.postId), likeCount: i.likeCount, score: i.score }));
    return { items, leaderInstanceId: result.leaderInstanceId, fencingToken: result.fencingToken, computedAtMs: result.computedAtMs };
  }

  /** Parses the stored trending JSON; undefined (logged) when absent or unreadable. */
  private parseTrending(raw: string | null): TrendingResult | undefined {
    if (raw === null) return undefined;
    try {
      const parsed = JSON.parse(raw) as TrendingResult;
      if (!Array.isArray(parsed.items) || typeof parsed.fencingToken !== 'number') throw new Error('unexpected shape');
      return parsed;
    } catch (error) {
      this.logger.warn('unreadable trending result; answering none', { error: String(error) });
      return undefined;
    }
  }
}
