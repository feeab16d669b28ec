import { Injectable } from '@nestjs/common';
import { CONTRACT_LIMITS, int64ToNumber, type FeedMethods, type GetFeedResponseOutput, type GetTrendingResponseOutput, type PostOutput } from '@failsoft/contracts';
import { Sidecar, type ServiceClient, type TypedClient } from '@failsoft/sidecar';
import { InjectSidecarClient } from '@failsoft/sidecar/nest';
import { LruCache } from '../common/lru.cache';
import { DEFAULT_RETRY_AFTER_MS, mapUpstreamError, partUnavailable, unavailabilityOf } from '../errors/upstream-error.mapper';
import { LikesService } from '../posts/likes.service';
import { feedItemView, likeInfoOf, postView, type PostView } from '../posts/post-view';
import { LastGoodFeedCache } from './last-good-feed.cache';

/** A feed page as the public API returns it. */
export interface FeedPage {
  readonly items: readonly PostView[];
  /** Cursor of the next (older) page; `null` on the last page. */
  readonly nextCursor: string | null;
  /** Parts that were unavailable for this response, e.g. `["likes"]`, `["feed"]`. */
  readonly degraded: readonly string[];
  /** Set when the page is the gateway's last-good copy: when that copy was made (ISO). */
  readonly lastGoodAt?: string;
}

/** Trending posts as the public API returns them. */
export interface TrendingPage {
  readonly items: ReadonlyArray<PostView & { readonly score: number }>;
  /** Instance of the feed's singleton job that computed the result. */
  readonly leaderInstanceId: string;
  /** Fencing token of the leader's lease when it wrote the result (string: int64). */
  readonly fencingToken: string;
  /** When the result was computed (ISO), `null` before the job's first run. */
  readonly computedAt: string | null;
  readonly degraded: readonly string[];
  readonly lastGoodAt?: string;
}

/** Deadline of a GetFeed / GetTrending call (the feed service itself bounds its likes enrichment). */
export const FEED_TIMEOUT_MS = 800;
/** Names a degraded part may have (anything else from upstream is dropped). */
const PART_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * `GET /api/feed` and `GET /api/trending`: reads the feed service through the sidecar and keeps a
 * last-good copy. When the feed is unavailable (down, breaker open, too slow, failing) the copy is
 * served with `degraded` including `"feed"`, its like counts marked stale and refreshed from
 * likes when possible; with no copy the answer is 503 + Retry-After. A bad cursor is a 400 and
 * never falls back. Recovery needs nothing: the next successful call serves live data again.
 */
@Injectable()
export class FeedService {
  private readonly feed: TypedClient<FeedMethods>;

  private readonly trending = new LruCache<number, { page: Omit<TrendingPage, 'degraded' | 'lastGoodAt'>; savedAtMs: number }>(CONTRACT_LIMITS.trendingMax);

  /**
   * @param client the sidecar client of `feed`.
   * @param lastGood last-good copies of feed pages.
   * @param likes to refresh counts of a last-good copy.
   * @param sidecar for its logger.
   */
  constructor(
    @InjectSidecarClient('feed') client: ServiceClient,
    private readonly lastGood: LastGoodFeedCache,
    private readonly likes: LikesService,
    private readonly sidecar: Sidecar,
  ) {
    this.feed = client.typed<FeedMethods>();
  }

  /** One page of the feed for `viewer` (anonymous when undefined). @throws ApiError (400 bad cursor, 503 with no copy). */
  async page(cursor: string, limit: number, viewer: string | undefined): Promise<FeedPage> {
    let failure: unknown;
    let response: GetFeedResponseOutput | null;
    try {
      response = await this.feed.GetFeed(
        { cursor, limit, viewerId: viewer ?? '' },
        {
          timeoutMs: FEED_TIMEOUT_MS,
          // called for unavailability only (breaker, no instance, deadline, UNAVAILABLE, server faults)
          fallback: (error) => {
            failure = error;
            return null;
          },
        },
      );
    } catch (error) {
      throw mapUpstreamError(error, { part: 'feed', what: 'the feed is' });
    }
    if (response !== null) {
      const page: FeedPage = {
        items: response.items.filter(hasPost).map(feedItemView),
        nextCursor: response.nextCursor === '' ? null : response.nextCursor,
        degraded: cleanParts(response.degraded),
      };
      this.lastGood.remember(cursor, limit, { items: page.items, nextCursor: response.nextCursor, degraded: page.degraded });
      return page;
    }
    return this.fromLastGood(cursor, limit, viewer, failure);
  }

  /** The trending posts. @throws ApiError (400, 503 with no copy). */
  async trendingPage(limit: number): Promise<TrendingPage> {
    let failure: unknown;
    let response: GetTrendingResponseOutput | null;
    try {
      response = await this.feed.GetTrending(
        { limit },
        {
          timeoutMs: FEED_TIMEOUT_MS,
          fallback: (error) => {
            failure = error;
            return null;
          },
        },
      );
    } catch (error) {
      throw mapUpstreamError(error, { part: 'feed', what: 'trending posts are' });
    }
    if (response !== null) {
      const computedAtMs = safeNumber(response.computedAtMs);
      const page = {
        items: response.items.filter(hasPost).map((item) => ({
          ...postView(item.post, { likeCount: safeNumber(item.likeCount), likeCountStale: true, likedByViewer: null }),
          score: item.score,
        })),
        leaderInstanceId: response.leaderInstanceId,
        fencingToken: response.fencingToken,
        computedAt: computedAtMs === null || computedAtMs === 0 ? null : new Date(computedAtMs).toISOString(),
      };
      this.trending.set(limit, { page, savedAtMs: Date.now() });
      return { ...page, degraded: [] };
    }
    const copy = this.trending.get(limit);
    if (copy === undefined) throw partUnavailable({ part: 'feed', what: 'trending posts are' }, unavailabilityOf(failure) ?? DEFAULT_RETRY_AFTER_MS);
    return { ...copy.page, degraded: ['feed'], lastGoodAt: new Date(copy.savedAtMs).toISOString() };
  }

  private async fromLastGood(cursor: string, limit: number, viewer: string | undefined, failure: unknown): Promise<FeedPage> {
    const copy = await this.lastGood.recall(cursor, limit);
    if (copy === undefined) {
      throw partUnavailable({ part: 'feed', what: 'the feed is' }, unavailabilityOf(failure) ?? DEFAULT_RETRY_AFTER_MS);
    }
    this.sidecar.logger.debug('feed unavailable; serving the last-good copy', { cursor, limit, savedAtMs: copy.savedAtMs, error: String(failure) });
    const degraded = new Set<string>(['feed']);
    let items: PostView[] = copy.items.map((item) => ({ ...item, likeCountStale: item.likeCount !== null, likedByViewer: null }));
    if (items.length > 0) {
      const counts = await this.likes.counts(
        items.map((item) => item.id),
        viewer,
      );
      if (counts === undefined) degraded.add('likes');
      else items = items.map((item) => (counts.has(item.id) ? { ...item, ...likeInfoOf(counts.get(item.id)) } : item));
    }
    return {
      items,
      nextCursor: copy.nextCursor === '' ? null : copy.nextCursor,
      degraded: [...degraded],
      lastGoodAt: new Date(copy.savedAtMs).toISOString(),
    };
  }
}

function hasPost<T extends { post: PostOutput | null }>(item: T): item is T & { post: PostOutput } {
  return item.post !== null && typeof item.post.id === 'string' && item.post.id !== '';
}

function cleanParts(parts: readonly string[]): string[] {
  return [...new Set(parts.filter((part) => PART_NAME.test(part)))];
}

function safeNumber(value: string): number | null {
  try {
    return int64ToNumber(value);
  } catch {
    return null;
  }
}
