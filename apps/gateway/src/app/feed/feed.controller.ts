import { Controller, Get, Query, Req, UseGuards } from '@nestjs/common';
import { CONTRACT_LIMITS } from '@failsoft/contracts';
import { ViewerGuard } from '../auth/viewer.guard';
import type { GatewayRequest } from '../common/gateway-request';
import { badRequest } from '../errors/api-error';
import { limitParam, queryParam } from '../common/json-input';
import { FeedService, type FeedPage, type TrendingPage } from './feed.service';

/** Cursors are opaque to the gateway: printable ASCII, at most 512 characters (the feed validates them). */
const CURSOR_PATTERN = /^[\x21-\x7e]{0,512}$/;

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
    if (!CURSOR_PATTERN.test(cursor)) throw badRequest('query parameter "cursor" must be a cursor from a previous page ("nextCursor")', 'INVALID_CURSOR', { field: 'cursor' });
    const limit = limitParam(query, CONTRACT_LIMITS.feedPageDefault, CONTRACT_LIMITS.feedPageMax);
    return this.feed.page(cursor, limit, request.user);
  }

  /** The hottest posts, as computed by the feed's singleton trending job. */
  @Get('trending')
  async getTrending(@Query() query: Record<string, unknown>): Promise<TrendingPage> {
    return this.feed.trendingPage(limitParam(query, CONTRACT_LIMITS.trendingDefault, CONTRACT_LIMITS.trendingMax));
  }
}
