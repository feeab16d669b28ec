import { isValidId } from '@failsoft/contracts';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Sidecar, type Logger } from '@failsoft/sidecar';
import { createRedisClient, createSentinelClient, type StateRedis } from '@failsoft/state';
import { STATE_MODULE_OPTIONS, STATE_REDIS, type StateModuleOptions } from '@failsoft/state/nest';
import { deleteConsumerIfDone, giveAwayPending, groupConsumers } from './consumer-group';
import { FEED_SETTINGS, type FeedSettings } from './feed.config';
import { FeedKeys } from './feed.keys';
import { ThrottledLog } from './throttled-log';
import { TimelineRepository, type TimelinePost } from './timeline.repository';

/** One stream entry; `fields` is null for an entry deleted from the stream while pending. */
interface StreamEntry {
  readonly id: string;
  readonly fields: readonly string[] | null;
}

/** Entries read per command. */
const BATCH = 100;
/** Longest XREADGROUP block, ms: well below the client's command timeout, and bounds the stop time. */
const BLOCK_MS = 1000;
/** Backoff after a failure: first and longest pause, ms (jittered). */
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 2000;
/** Longest time leaving the group may add to a drain, ms. */
const LEAVE_TIMEOUT_MS = 5000;
/** Another consumer idle this many times `claimIdleMs` with nothing pending is dead: it is deleted. */
const DEAD_CONSUMER_IDLE_FACTOR = 10;

/** Counters of the consumer (for specs and logs). */
export interface ConsumerStats {
  /** Entries whose post was put on the timeline. */
  added: number;
  /** `deleted` entries whose post was taken off the timeline (and its last-seen like count dropped). */
  removed: number;
  /** Entries acknowledged (added, ignored or invalid). */
  acked: number;
  /** Entries claimed from other consumers. */
  claimed: number;
  /** Consumers deleted from the group: dead ones (idle, nothing pending) and this one on drain. */
  deletedConsumers: number;
  /** Malformed entries acknowledged without effect. */
  invalid: number;
  /** Failed steps (Redis errors), each followed by a backoff. */
  errors: number;
}

/** Parses the `[field, value, ...]` of an entry into a map. */
function fieldMap(fields: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i], fields[i + 1]);
  return map;
}

/** Parses an XREADGROUP / XAUTOCLAIM entry list. */
function toEntries(raw: unknown): StreamEntry[] {
  return ((raw as Array<[string, string[] | null]> | null) ?? []).map(([id, fields]) => ({ id, fields }));
}

/**
 * Builds the timeline from the post stream: a consumer (group `feed`, consumer name = instance
 * id) of `failsoft:posts`.
 *
 * - On start (and after any failure) it first re-reads its own pending entries (`XREADGROUP ... 0`),
 *   then reads new ones (`>`, blocking on its own connection so the shared client never waits).
 * - `created` events add the post (`ZADD`), `deleted` events (DeletePost) remove it with its
 *   last-seen like count (`ZREM`, `HDEL`); both idempotent.
 * - Each batch is written to the timeline (`ZADD`, idempotent) BEFORE it is acknowledged
 *   (`XACK`), so a crash between the two only causes a harmless re-delivery; malformed or unknown
 *   events are acknowledged without effect (logged) so they cannot block the group.
 * - Entries left pending by a dead consumer for `claimIdleMs` are claimed (`XAUTOCLAIM`); consumers
 *   idle for 10x that with nothing pending (killed, never drained) are deleted.
 * - On drain it leaves the group: its own pending entries are written and acknowledged, or else
 *   given to a live consumer (`XCLAIM`), and only then is it deleted (`XGROUP DELCONSUMER`, atomically
 *   only when nothing is pending), so a rollout leaves no dead consumer and no entry waiting
 *   `claimIdleMs` for it.
 * - The group is created with MKSTREAM from the stream's start (`0`, so posts made before the
 *   feed ever ran are included) when missing, at start or after NOGROUP (e.g. lost in a failover).
 * - Redis failures (failover, outage) are logged (throttled) and retried with jittered backoff;
 *   the loop never crashes the process. Shutdown stops it and waits for it.
 */
@Injectable()
export class PostStreamConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  /** Counters. */
  readonly stats: ConsumerStats = { added: 0, removed: 0, acked: 0, claimed: 0, deletedConsumers: 0, invalid: 0, errors: 0 };
  private readonly logger: Logger;
  private readonly failures: ThrottledLog;
  private readonly consumer: string;
  private readonly claimEveryMs: number;
  private reader: StateRedis | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private groupReady = false;
  private phase: 'pending' | 'new' = 'pending';
  private pendingFrom = '0';
  private claimCursor = '0-0';
  private lastClaimPass = 0;

  constructor(
    @Inject(STATE_REDIS) private readonly redis: StateRedis,
    @Inject(STATE_MODULE_OPTIONS) private readonly stateOptions: StateModuleOptions,
    @Inject(FEED_SETTINGS) private readonly settings: FeedSettings,
    @Inject(Sidecar) sidecar: Sidecar,
    private readonly timeline: TimelineRepository,
  ) {
    this.consumer = settings.instanceId;
    this.claimEveryMs = Math.max(100, Math.min(Math.floor(settings.claimIdleMs / 2), 5000));
    this.logger = sidecar.logger.child({ component: 'post-stream-consumer', consumer: this.consumer });
    this.failures = new ThrottledLog(this.logger, 'post stream consumer');
  }

  /** True while the loop runs. */
  get running(): boolean {
    return this.loop !== undefined && !this.stopping;
  }

  /** Starts the loop (in the background: the app starts even when Redis is unreachable). */
  onApplicationBootstrap(): void {
    if (this.loop !== undefined) return;
    this.reader = this.createReader();
    this.loop = this.run();
  }

  /**
   * Stops the loop (interrupts a blocking read and waits), then leaves the consumer group: hands
   * its pending entries over and deletes this consumer. Bounded by LEAVE_TIMEOUT_MS; when Redis
   * cannot be reached the consumer stays, and others claim its entries after `claimIdleMs`.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.reader?.disconnect();
    await this.loop;
    await this.reader?.close();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), LEAVE_TIMEOUT_MS).unref()));
    const outcome = await Promise.race([this.leaveGroup().catch((error: unknown) => error), timeout]);
    clearTimeout(timer);
    if (outcome !== undefined) {
      this.logger.warn('could not leave the consumer group; other instances claim its pending entries after the claim idle time', { error: String(outcome), claimIdleMs: this.settings.claimIdleMs });
    }
  }

  /** Hands this consumer's pending entries over (written and acked here, else given to a live consumer), then deletes it. */
  private async leaveGroup(): Promise<void> {
    try {
      for (let from = '0'; ; ) {
        const entries = await this.read(from, false, this.redis);
        if (entries.length === 0) break;
        await this.handle(entries);
        from = entries[entries.length - 1].id;
      }
    } catch (error) {
      const live = (await groupConsumers(this.redis)).filter((c) => c.name !== this.consumer && c.idleMs < this.settings.claimIdleMs).sort((a, b) => a.idleMs - b.idleMs)[0];
      if (live === undefined) throw new Error(`its pending entries could not be written (${String(error)}) and no live consumer can take them`);
      const given = await giveAwayPending(this.redis, this.consumer, live.name, this.settings.claimIdleMs);
      this.logger.info('gave the pending entries it could not write to a live consumer', { count: given, to: live.name, error: String(error) });
    }
    if (!(await deleteConsumerIfDone(this.redis, this.consumer))) throw new Error('entries are still pending with it');
    this.stats.deletedConsumers++;
    this.logger.info('left the consumer group', { group: FeedKeys.group });
  }

  /** Deletes other consumers idle for DEAD_CONSUMER_IDLE_FACTOR x claimIdleMs with nothing pending (their entries were claimed). */
  private async deleteDeadConsumers(): Promise<void> {
    const deadAfterMs = DEAD_CONSUMER_IDLE_FACTOR * this.settings.claimIdleMs;
    for (const consumer of await groupConsumers(this.redis)) {
      if (consumer.name === this.consumer || consumer.pending > 0 || consumer.idleMs < deadAfterMs) continue;
      if (await deleteConsumerIfDone(this.redis, consumer.name, deadAfterMs)) {
        this.stats.deletedConsumers++;
        this.logger.info('deleted a dead consumer (idle, nothing pending)', { deleted: consumer.name, idleMs: consumer.idleMs });
      }
    }
  }

  /** A dedicated connection for blocking reads, built like the shared client (same failover settings). */
  private createReader(): StateRedis {
    const redis = this.stateOptions.redis;
    const connectionName = `feed-consumer-${this.consumer}`.replace(/[^A-Za-z0-9._-]/g, '_');
    // its connection problems go to the service's JSON log, as the consumer's own lines do
    const logger = redis.logger ?? { warn: (message: string) => this.logger.warn(message, { connection: connectionName }) };
    return 'sentinels' in redis ? createSentinelClient({ ...redis, connectionName, logger }) : createRedisClient({ ...redis, connectionName, logger });
  }

  private async run(): Promise<void> {
    let backoff = 0;
    while (!this.stopping) {
      try {
        await this.step();
        backoff = 0;
        this.failures.success();
      } catch (error) {
        if (this.stopping) break;
        this.stats.errors++;
        if (error instanceof Error && /^NOGROUP\b/.test(error.message)) this.groupReady = false;
        // whatever was delivered and not acknowledged is re-read first
        this.phase = 'pending';
        this.pendingFrom = '0';
        backoff = Math.min(BACKOFF_MAX_MS, backoff === 0 ? BACKOFF_MIN_MS : backoff * 2);
        this.failures.failure(error, { backoffMs: backoff });
        if (this.reader?.status === 'end') {
          // defence in depth: a client that ended never reconnects by itself; replace it
          this.logger.warn('the stream reader connection ended; replacing it');
          this.reader = this.createReader();
        }
        await this.sleep(Math.round(backoff / 2 + (Math.random() * backoff) / 2));
      }
    }
  }

  /** One step: create the group if needed, then one read of pending, claimable or new entries. */
  private async step(): Promise<void> {
    if (!this.groupReady) await this.ensureGroup();
    if (this.phase === 'pending') {
      const entries = await this.read(this.pendingFrom, false);
      if (entries.length === 0) {
        this.phase = 'new';
        return;
      }
      await this.handle(entries);
      this.pendingFrom = entries[entries.length - 1].id;
      return;
    }
    if (Date.now() - this.lastClaimPass >= this.claimEveryMs) await this.claim();
    await this.handle(await this.read('>', true));
  }

  private async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', FeedKeys.posts, FeedKeys.group, '0', 'MKSTREAM');
      this.logger.info('created the consumer group', { stream: FeedKeys.posts, group: FeedKeys.group });
    } catch (error) {
      if (!(error instanceof Error && /^BUSYGROUP\b/.test(error.message))) throw error;
    }
    this.groupReady = true;
  }

  /** XREADGROUP from `id` ('0'-style: own pending entries after it; '>': new ones, blocking). */
  private async read(id: string, block: boolean, reader: StateRedis = this.reader as StateRedis): Promise<StreamEntry[]> {
    const args: Array<string | number> = ['GROUP', FeedKeys.group, this.consumer, 'COUNT', BATCH];
    if (block) args.push('BLOCK', BLOCK_MS);
    args.push('STREAMS', FeedKeys.posts, id);
    const reply = (await reader.call('XREADGROUP', ...args)) as Array<[string, unknown]> | null;
    return toEntries(reply?.[0]?.[1]);
  }

  /** One XAUTOCLAIM call: takes over entries idle for `claimIdleMs` (from a dead consumer) and handles them. */
  private async claim(): Promise<void> {
    const reply = (await this.redis.call('XAUTOCLAIM', FeedKeys.posts, FeedKeys.group, this.consumer, this.settings.claimIdleMs, this.claimCursor, 'COUNT', BATCH)) as [
      string,
      unknown,
      unknown?,
    ];
    const entries = toEntries(reply[1]);
    this.claimCursor = reply[0];
    if (this.claimCursor === '0-0') {
      // a full pass is done (else it continues next step): what dead consumers held is claimed
      this.lastClaimPass = Date.now();
      await this.deleteDeadConsumers();
    }
    if (entries.length === 0) return;
    this.stats.claimed += entries.length;
    this.logger.info('claimed entries left pending by another consumer', { count: entries.length });
    await this.handle(entries);
  }

  /** Writes the valid post events of `entries` to the timeline (created: added; deleted: removed), then acknowledges all of them. */
  private async handle(entries: readonly StreamEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const posts: TimelinePost[] = [];
    const deleted: string[] = [];
    for (const entry of entries) {
      const event = this.parse(entry);
      if (event?.type === 'created') posts.push(event.post);
      else if (event?.type === 'deleted') deleted.push(event.postId);
    }
    // in stream order within a batch: a post created and deleted in one batch ends removed
    await this.timeline.addMany(posts);
    await this.timeline.removeMany(deleted);
    await this.redis.xack(FeedKeys.posts, FeedKeys.group, ...entries.map((e) => e.id));
    this.stats.added += posts.length;
    this.stats.removed += deleted.length;
    this.stats.acked += entries.length;
  }

  /** The timeline change of a `created` or `deleted` event; undefined (logged) for anything else. */
  private parse(entry: StreamEntry): { type: 'created'; post: TimelinePost } | { type: 'deleted'; postId: string } | undefined {
    if (entry.fields === null) return undefined; // deleted from the stream while pending
    const fields = fieldMap(entry.fields);
    const type = fields.get('type');
    if (type !== 'created' && type !== 'deleted') {
      this.logger.debug('ignoring a post event of another type', { entry: entry.id, type });
      return undefined;
    }
    const postId = fields.get('postId');
    if (type === 'deleted') {
      if (isValidId(postId)) return { type, postId };
      this.stats.invalid++;
      this.logger.warn('acknowledging a malformed post event without effect', { entry: entry.id, type, postId: String(postId).slice(0, 140) });
      return undefined;
    }
    const createdAtMs = Number(fields.get('createdAtMs'));
    if (!isValidId(postId) || !Number.isSafeInteger(createdAtMs) || createdAtMs < 0) {
      this.stats.invalid++;
      this.logger.warn('acknowledging a malformed post event without effect', { entry: entry.id, postId: String(postId).slice(0, 140), createdAtMs: fields.get('createdAtMs') });
      return undefined;
    }
    return { type, post: { postId, createdAtMs } };
  }

  /** Sleeps `ms`, or less when stopping. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
