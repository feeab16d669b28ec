import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CONTRACT_LIMITS } from '@failsoft/contracts';
import { Sidecar, type Logger } from '@failsoft/sidecar';
import { LeaseManager, isFencingError, isLeaseNotHeldError, type Lease, type LeaseOptions, type LeaseTerm } from '@failsoft/state';
import { FEED_SETTINGS, type FeedSettings } from './feed.config';
import { FeedKeys } from './feed.keys';
import { LikeCountsService } from './like-counts.service';
import { ThrottledLog } from './throttled-log';
import { rankTrending } from './trending-rank';
import { TimelineRepository } from './timeline.repository';

/** How many of the newest posts the job considers (one Counts batch). */
const RECENT_WINDOW = CONTRACT_LIMITS.countsBatchMax;
/** Deadline of the job's Counts call (off the request path, so longer than GetFeed's), ms. */
const COUNTS_TIMEOUT_MS = 1000;

/**
 * Lease options of the trending job. The renew/retry intervals and the safety margin are derived
 * from the TTL here (as the lease's own defaults would be): LeaseManager merges its already
 * resolved defaults (made for ITS ttl) into each lease, so passing only `ttlMs` keeps intervals
 * that may exceed a shorter TTL and is rejected.
 */
export function trendingLeaseOptions(settings: FeedSettings): LeaseOptions {
  const ttlMs = settings.trendingLeaseTtlMs;
  const third = Math.max(1, Math.floor(ttlMs / 3));
  return { ttlMs, renewIntervalMs: third, retryIntervalMs: third, safetyMarginMs: Math.ceil(ttlMs * 0.01) + 5, holderId: settings.instanceId };
}

/** The trending result as stored in `failsoft:feed:trending` (JSON). */
export interface TrendingResult {
  readonly items: ReadonlyArray<{ readonly postId: string; readonly likeCount: number; readonly score: number }>;
  readonly leaderInstanceId: string;
  readonly fencingToken: number;
  readonly computedAtMs: number;
}

/**
 * The trending singleton: every feed instance campaigns for the lease `feed-trending` (holder =
 * instance id); only the holder computes, every `trendingIntervalMs`: it takes the newest posts of
 * the timeline, their like counts (likes service, or last-seen counts when likes is down), ranks
 * them ({@link rankTrending}) and writes the result to `failsoft:feed:trending` with a fenced write
 * carrying its lease token, so a stale leader (paused, partitioned) can never overwrite a newer
 * leader's result. A dead leader is replaced within the lease TTL; a leader shutting down releases
 * the lease so the standby takes over at once.
 */
@Injectable()
export class TrendingJob implements OnApplicationBootstrap, BeforeApplicationShutdown {
  /** Results written by this instance. */
  runs = 0;
  private readonly logger: Logger;
  private readonly failures: ThrottledLog;
  private readonly campaignFailures: ThrottledLog;
  private lease: Lease | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly leases: LeaseManager,
    private readonly timeline: TimelineRepository,
    private readonly likeCounts: LikeCountsService,
    @Inject(FEED_SETTINGS) private readonly settings: FeedSettings,
    @Inject(Sidecar) sidecar: Sidecar,
  ) {
    this.logger = sidecar.logger.child({ component: 'trending-job' });
    this.failures = new ThrottledLog(this.logger, 'trending job');
    this.campaignFailures = new ThrottledLog(this.logger, 'trending lease campaign');
  }

  /** True while this instance holds the lease (and so runs the job). */
  get isLeader(): boolean {
    return this.lease?.isHeld ?? false;
  }

  /** The lease term held now, if any. */
  get term(): LeaseTerm | undefined {
    return this.lease?.term;
  }

  /** Starts campaigning for the lease. */
  onApplicationBootstrap(): void {
    if (this.lease !== undefined) return;
    this.lease = this.leases.campaign(
      FeedKeys.trendingLease,
      {
        onAcquired: (term) => {
          this.logger.info('leading the trending job', { token: term.token });
          this.schedule(0);
        },
        onLost: (term, reason) => {
          this.logger.info('no longer leading the trending job', { token: term.token, reason });
          clearTimeout(this.timer);
        },
      },
      trendingLeaseOptions(this.settings),
    );
    this.lease.on('attemptFailed', (error) => this.campaignFailures.failure(error));
  }

  /** Stops the job and releases the lease (the standby takes over at once). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
    await this.lease?.shutdown();
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.inFlight = this.tick().finally(() => (this.inFlight = undefined));
    }, delayMs);
    this.timer.unref();
  }

  /** One run while leading; reschedules itself while the lease is held. */
  private async tick(): Promise<void> {
    const term = this.lease?.term;
    if (term === undefined || this.stopped) return;
    try {
      await this.computeAndWrite(term);
      this.campaignFailures.success();
      this.failures.success();
    } catch (error) {
      if (isFencingError(error) || isLeaseNotHeldError(error)) {
        this.logger.info('trending result refused: the lease moved on', { token: term.token, error: (error as Error).message });
      } else {
        this.failures.failure(error, { token: term.token });
      }
    }
    if (this.lease?.isHeld) this.schedule(this.settings.trendingIntervalMs);
  }

  private async computeAndWrite(term: LeaseTerm): Promise<void> {
    const recent = await this.timeline.recent(RECENT_WINDOW);
    const { counts } = await this.likeCounts.fetch(
      recent.map((e) => e.postId),
      undefined,
      COUNTS_TIMEOUT_MS,
    );
    const now = Date.now();
    const ranked = rankTrending(
      recent.map((e) => ({ postId: e.postId, createdAtMs: Number(e.score), likeCount: Number(counts.get(e.postId)?.count ?? 0) })),
      now,
      CONTRACT_LIMITS.trendingMax,
    );
    const result: TrendingResult = {
      items: ranked.map(({ postId, likeCount, score }) => ({ postId, likeCount, score })),
      leaderInstanceId: this.settings.instanceId,
      fencingToken: term.token,
      computedAtMs: now,
    };
    const lease = this.lease as Lease;
    await lease.fencedWrite([['SET', FeedKeys.trending, JSON.stringify(result)]]);
    this.runs++;
  }
}
