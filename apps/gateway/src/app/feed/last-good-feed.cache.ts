import { Inject, Injectable } from '@nestjs/common';
import { Sidecar } from '@failsoft/sidecar';
import { STATE_REDIS } from '@failsoft/state/nest';
import type { RedisConnection } from '@failsoft/state';
import { LruCache } from '../common/lru.cache';
import type { PostView } from '../posts/post-view';

/** A feed page as last served successfully, without anything viewer-specific. */
export interface LastGoodPage {
  readonly items: readonly PostView[];
  readonly nextCursor: string;
  /** What the feed service reported as degraded when this copy was made. */
  readonly degraded: readonly string[];
  /** When the copy was made, ms since the Unix epoch. */
  readonly savedAtMs: number;
}

/** Pages kept in memory (a page is at most 100 small items: a few MB at worst). */
export const LAST_GOOD_MAX_PAGES = 256;
/** Redis key prefix of the shared copies of first pages (`<prefix><limit>`). */
export const LAST_GOOD_REDIS_PREFIX = 'failsoft:gateway:last-good-feed:';
/** Lifetime of a shared copy in Redis. */
const REDIS_TTL_MS = 24 * 3600 * 1000;
/** A first page is written to Redis at most this often per limit (the feed is read constantly). */
const REDIS_WRITE_INTERVAL_MS = 5000;
/** Longest wait for Redis when reading a shared copy, ms (this runs while the feed is already failing). */
const REDIS_READ_BUDGET_MS = 200;

/**
 * The gateway's last-good copy of the feed, used when the feed service is down.
 *
 * - **Every page in memory**, keyed by (cursor, limit), in a bounded LRU: the copy must be
 *   available exactly when other parts fail, so it depends on nothing — not even Redis, which may be
 *   failing over at the same time (and the feed's own data lives there). Each gateway keeps its own
 *   copy; both serve reads all the time, so both are warm.
 * - **First pages also in Redis**, best effort (written at most every 5 s per limit, read only on a
 *   memory miss with a 200 ms budget): a gateway restarted during a feed outage still has the page
 *   users see first.
 *
 * Copies hold no viewer-specific data (`likedByViewer` is cleared), so one user's view never leaks
 * to another; like counts in a copy are last-seen values.
 */
@Injectable()
export class LastGoodFeedCache {
  private readonly pages = new LruCache<string, LastGoodPage>(LAST_GOOD_MAX_PAGES);
  private readonly lastRedisWrite = new Map<number, number>();

  /** @param redis the state client (may be disconnected: then only memory is used); @param sidecar logger. */
  constructor(
    @Inject(STATE_REDIS) private readonly redis: RedisConnection,
    private readonly sidecar: Sidecar,
  ) {}

  /** Keeps `page` as the last good copy of (cursor, limit). */
  remember(cursor: string, limit: number, page: Omit<LastGoodPage, 'savedAtMs'>, nowMs: number = Date.now()): void {
    const copy: LastGoodPage = {
      items: page.items.map((item) => ({ ...item, likedByViewer: null })),
      nextCursor: page.nextCursor,
      degraded: [...page.degraded],
      savedAtMs: nowMs,
    };
    this.pages.set(keyOf(cursor, limit), copy);
    if (cursor === '' && nowMs - (this.lastRedisWrite.get(limit) ?? -Infinity) >= REDIS_WRITE_INTERVAL_MS && this.redis.status === 'ready') {
      this.lastRedisWrite.set(limit, nowMs);
      this.redis.set(`${LAST_GOOD_REDIS_PREFIX}${limit}`, JSON.stringify(copy), 'PX', REDIS_TTL_MS).catch((error: unknown) => {
        this.sidecar.logger.debug('could not share the last-good feed page in Redis', { error: String(error) });
      });
    }
  }

  /** The last good copy of (cursor, limit), from memory, else (first pages only) from Redis. */
  async recall(cursor: string, limit: number): Promise<LastGoodPage | undefined> {
    const key = keyOf(cursor, limit);
    const local = this.pages.get(key);
    if (local !== undefined || cursor !== '' || this.redis.status !== 'ready') return local;
    let timer: NodeJS.Timeout | undefined;
    try {
      const raw = await Promise.race([
        this.redis.get(`${LAST_GOOD_REDIS_PREFIX}${limit}`),
        new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), REDIS_READ_BUDGET_MS);
        }),
      ]);
      const shared = raw === null ? undefined : parsePage(raw);
      if (shared !== undefined && !this.pages.has(key)) this.pages.set(key, shared);
      return shared;
    } catch (error) {
      this.sidecar.logger.debug('could not read the shared last-good feed page', { error: String(error) });
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}

function keyOf(cursor: string, limit: number): string {
  return `${limit}|${cursor}`;
}

/** Parses a shared copy; anything malformed counts as no copy. */
function parsePage(raw: string): LastGoodPage | undefined {
  try {
    const value = JSON.parse(raw) as Partial<LastGoodPage>;
    if (
      typeof value !== 'object' ||
      value === null ||
      !Array.isArray(value.items) ||
      typeof value.nextCursor !== 'string' ||
      !Array.isArray(value.degraded) ||
      typeof value.savedAtMs !== 'number' ||
      !value.items.every((item) => typeof item === 'object' && item !== null && typeof (item as PostView).id === 'string')
    ) {
      return undefined;
    }
    return value as LastGoodPage;
  } catch {
    return undefined;
  }
}
