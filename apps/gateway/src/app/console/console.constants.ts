/** Injection token of the console's {@link ConsoleOptions}. */
export const CONSOLE_OPTIONS = Symbol('failsoft:console-options');

/** Live streams (`GET /api/console/events`) one gateway serves at once; more get 429. */
export const CONSOLE_MAX_STREAMS = 16;

/**
 * Live streams one signed-in user, and one client address, may hold at once on one gateway: the
 * public demo users (whose password everyone knows) cannot take all CONSOLE_MAX_STREAMS.
 */
export const CONSOLE_MAX_STREAMS_PER_CLIENT = 4;

/** Period of the `snapshot` events of a live stream, ms. */
export const CONSOLE_TICK_MS = 1000;

/** Period of the comment heartbeat of a live stream (keeps proxies from closing an idle stream), ms. */
export const CONSOLE_HEARTBEAT_MS = 10_000;

/** How long a request to the control channel may take, ms. */
export const CONTROL_TIMEOUT_MS = 3000;

/** How long an action (kill a service, Redis failover...) may take at the control channel, ms. */
export const CONTROL_ACTION_TIMEOUT_MS = 20_000;

/**
 * Lease name of the feed's trending singleton (apps/feed/src/app/feed.keys.ts `trendingLease`;
 * the gateway cannot import the feed app). Its holder record is `failsoft:lease:{feed-trending}`.
 */
export const TRENDING_LEASE = 'feed-trending';

/** Why the console's buttons are disabled on a gateway without the local platform's control channel. */
export const NO_CONTROL_REASON =
  'this gateway runs without the local platform\'s control channel (docker compose / Kubernetes): use `failsoft kill ... --compose` or kubectl';

/** What the console module needs from the gateway configuration. */
export interface ConsoleOptions {
  /** This gateway's instance id (`gateway-1`). */
  readonly instanceId: string;
  /** This gateway's zone. */
  readonly zone: string;
  /** Sentinels to ask about the Redis topology. */
  readonly sentinels: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /** Master name the sentinels monitor. */
  readonly masterName: string;
  /** Password of the sentinels (REDIS_SENTINEL_PASSWORD), when they require one. */
  readonly sentinelPassword?: string;
  /** Base URL of `failsoft up`'s control channel, `''` when there is none. */
  readonly controlUrl: string;
  /** Bearer token of the control channel. */
  readonly controlToken: string;
}
