import { Controller, Get, Query, Req, UseGuards } from '@nestjs/common';
import { CONTRACT_LIMITS } from '@failsoft/contracts';
import { ViewerGuard } from '../auth/viewer.guard';
import type { GatewayRequest } from '../common/gateway-request';
import { ApiError, badRequest } from '../errors/api-error';
import { limitParam, queryParam } from '../common/json-input';
import { FeedService, type FeedPage, type TrendingPage } from './feed.service';

/** Cursors are opaque to the gateway: printable ASCII without spaces, at most 512 characters (the feed validates them). */
export const CURSOR_PATTERN = /^[\x21-\x7e]{0,512}$/;
/** What a client is told about a bad cursor, whether the gateway or the feed service found it bad (in public names only). */
export const INVALID_CURSOR_MESSAGE = 'query parameter "cursor" must be the "nextCursor" of a previous page, unchanged (or empty for the newest page)';

/** `GET /api/feed` and `GET /api/trending`. */
@Controller('api')
export class FeedController {
  /** @param feed the feed facade (last-good copy included). */
  constructor(private readonly feed: FeedService) {}

  /**
   * One page of the timeline, newest first: `{"items":[...],"nextCursor","degraded":[...]}`.
   * Personalised (`likedByViewer`) when a valid token is sent.
   */
  @Get('feed')
  @UseGuards(ViewerGuard)
  async getFeed(@Query() query: Record<string, unknown>, @Req() request: GatewayRequest): Promise<FeedPage> {
    const cursor = queryParam(query, 'cursor') ?? '';
    if (!CURSOR_PATTERN.test(cursor)) throw badRequest(INVALID_CURSOR_MESSAGE, 'INVALID_CURSOR', { field: 'cursor' });
    const limit = limitParam(query, CONTRACT_LIMITS.feedPageDefault, CONTRACT_LIMITS.feedPageMax);
    try {
      return await this.feed.page(cursor, limit, request.user);
    } catch (error) {
      // the feed service names its own fields (next_cursor, GetFeed): say it in the API's words
      if (error instanceof ApiError && error.code === 'INVALID_CURSOR') throw badRequest(INVALID_CURSOR_MESSAGE, 'INVALID_CURSOR', { field: 'cursor' });
      throw error;
    }
  }

  /** The hottest posts, as computed by the feed's singleton trending job. */
  @Get('trending')
  async getTrending(@Query() query: Record<string, unknown>): Promise<TrendingPage> {
    return this.feed.trendingPage(limitParam(query, CONTRACT_LIMITS.trendingDefault, CONTRACT_LIMITS.trendingMax));
  }
}
