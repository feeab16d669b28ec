// Original file: libs/contracts/src/proto/failsoft/feed/v1/feed.proto

import type { TrendingItem as _failsoft_feed_v1_TrendingItem, TrendingItem__Output as _failsoft_feed_v1_TrendingItem__Output } from '../../../failsoft/feed/v1/TrendingItem.generated';
import type { Long } from '@grpc/proto-loader';

export interface GetTrendingResponse {
  /**
   * Hottest first; empty before the job's first run.
   */
  'items'?: (_failsoft_feed_v1_TrendingItem)[];
  /**
   * Instance id of the leader that computed this result.
   */
  'leaderInstanceId'?: (string);
  /**
   * Fencing token of the leader's lease when it wrote this result (monotonic;
   * 0 before the first run).
   */
  'fencingToken'?: (number | string | Long);
  /**
   * When the result was computed, milliseconds since the Unix epoch (UTC).
   */
  'computedAtMs'?: (number | string | Long);
}

export interface GetTrendingResponse__Output {
  /**
   * Hottest first; empty before the job's first run.
   */
  'items': (_failsoft_feed_v1_TrendingItem__Output)[];
  /**
   * Instance id of the leader that computed this result.
   */
  'leaderInstanceId': (string);
  /**
   * Fencing token of the leader's lease when it wrote this result (monotonic;
   * 0 before the first run).
   */
  'fencingToken': (string);
  /**
   * When the result was computed, milliseconds since the Unix epoch (UTC).
   */
  'computedAtMs': (string);
}
