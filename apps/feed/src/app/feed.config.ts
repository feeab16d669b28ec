import { hostname } from 'node:os';
import { env, grpcServiceEnvSchema, type EnvConfig } from '@failsoft/sidecar';

/** Environment of the feed service: the shared gRPC service variables plus the feed's tuning (all defaulted). */
export const feedEnvSchema = {
  ...grpcServiceEnvSchema,
  /** Deadline of the likes `Counts` call that enriches GetFeed, ms (short: a slow likes never slows the feed). */
  LIKES_TIMEOUT_MS: env.int(10, 10_000, { default: 150 }),
  /** Post events pending this long with a consumer (a dead one) are claimed by another, ms. */
  FEED_CLAIM_IDLE_MS: env.int(100, 3_600_000, { default: 30_000 }),
  /** Period of the trending job while this instance leads, ms. */
  TRENDING_INTERVAL_MS: env.int(100, 3_600_000, { default: 5_000 }),
  /** Lease time of the trending singleton: a dead leader is replaced within it, ms. */
  TRENDING_LEASE_TTL_MS: env.int(500, 600_000, { default: 10_000 }),
};

/** The validated environment of the feed service. */
export type FeedConfig = EnvConfig<typeof feedEnvSchema>;

/** What the feed's providers need from the configuration. */
export interface FeedSettings {
  /** This instance's id: the consumer name in the `feed` group and the trending lease holder. */
  readonly instanceId: string;
  /** Deadline of the enrichment Counts call, ms. */
  readonly likesTimeoutMs: number;
  /** Idle time after which another consumer's pending entries are claimed, ms. */
  readonly claimIdleMs: number;
  /** Trending job period, ms. */
  readonly trendingIntervalMs: number;
  /** Trending lease TTL, ms. */
  readonly trendingLeaseTtlMs: number;
}

/** Injection token of the {@link FeedSettings}. */
export const FEED_SETTINGS = Symbol('failsoft:feed-settings');

/** Derives the settings; the instance id defaults to `feed-<host>-<pid>` (the sidecar's default). */
export function feedSettings(config: FeedConfig): FeedSettings {
  return {
    instanceId: config.INSTANCE_ID ?? `feed-${hostname()}-${process.pid}`,
    likesTimeoutMs: config.LIKES_TIMEOUT_MS,
    claimIdleMs: config.FEED_CLAIM_IDLE_MS,
    trendingIntervalMs: config.TRENDING_INTERVAL_MS,
    trendingLeaseTtlMs: config.TRENDING_LEASE_TTL_MS,
  };
}
