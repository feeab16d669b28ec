import { OfflineQueueFullError } from '../client/offline-queue-full.error';
import type { RedisConnection } from '../client/redis-connection';
import type { DurableConnectionSource } from './connection-source';
import { commitBatch, type BatchEntry } from './durable-batch';
import type { ResolvedDurableOptions } from './durable.options';
import type { RedisCommand } from './redis-command';
import type { SentinelView } from './sentinel-view';

/** A write waiting for its batch. */
interface Queued extends BatchEntry {
  readonly options: ResolvedDurableOptions;
  /** Writes with the same key (same replicas / timeout / rule) may share a WAIT. */
  readonly key: string;
}

/** What one write resolves with once its batch is confirmed. */
export interface CommittedWrite {
  readonly result: unknown;
  readonly acknowledgedBy: number;
  readonly required: number;
}

/**
 * Group commit of the durable writes of one connection source: writes submitted in the same
 * event-loop turn (or while every connection is busy) form a batch that runs on ONE connection as
 * one pipeline followed by ONE `WAIT` (see {@link commitBatch}). One connection is acquired at a
 * time: writes issued while a batch is in flight form the next batch, on another connection when the
 * source has one free, else on the first one released. A write joins a batch only before that
 * batch's writes are sent, so a `WAIT` never claims to cover a write sent after it.
 */
export class GroupCommit {
  private readonly queue: Queued[] = [];
  private scheduled = false;
  private acquiring = false;

  /**
   * @param source where batches get their connection (one batch in flight per connection).
   * @param view the sentinels' view checked once per batch under rule `replicaSet: 'sentinel'`.
   */
  constructor(
    private readonly source: DurableConnectionSource,
    private readonly view: SentinelView | undefined,
  ) {}

  /**
   * Queues one write for the next batch; resolves once the batch's WAIT (and checks) confirmed it.
   * @throws OfflineQueueFullError when the source's `maxWaiting` writes already wait.
   */
  submit(command: RedisCommand, options: ResolvedDurableOptions): Promise<CommittedWrite> {
    const limit = this.source.maxWaiting;
    if (limit !== undefined && this.queue.length >= Math.max(1, limit)) return Promise.reject(new OfflineQueueFullError(limit, 'durable write'));
    return new Promise<CommittedWrite>((resolve, reject) => {
      this.queue.push({ command, options, key: batchKey(options), resolve, reject });
      this.schedule();
    });
  }

  /** Dispatches at the end of this event-loop turn, so writes issued together share a batch. */
  private schedule(): void {
    if (this.scheduled || this.acquiring) return; // a pending acquisition takes the queue when it gets its connection
    this.scheduled = true;
    // setImmediate, not a timer: it runs in this very loop turn, so it holds nothing open
    setImmediate(() => {
      this.scheduled = false;
      void this.dispatch();
    });
  }

  /** Gets a connection, takes the queue (writes with the oldest one's options) and commits it as one batch. */
  private async dispatch(): Promise<void> {
    if (this.queue.length === 0 || this.acquiring) return;
    this.acquiring = true;
    let connection: RedisConnection;
    try {
      connection = await this.source.acquire();
    } catch (error) {
      this.acquiring = false;
      for (const entry of this.queue.splice(0)) entry.reject(error);
      return;
    }
    this.acquiring = false;
    // the whole queue (of one set of options): one WAIT for everything issued until now. Spreading a
    // burst over several connections measured slower (more WAITs, ROLEs and sentinel checks per write)
    const batch = this.take();
    if (this.queue.length > 0) void this.dispatch();
    try {
      const options = batch[0]?.options;
      if (options !== undefined) {
        const view = options.replicas === 'all' && options.replicaSet === 'sentinel' ? this.view : undefined;
        await commitBatch(connection, batch, { options, view, waitForReady: this.source.waitForReady });
      }
    } finally {
      this.source.release(connection);
    }
  }

  /** Removes and returns the queued writes sharing the options of the oldest one, oldest first. */
  private take(): Queued[] {
    const key = this.queue[0]?.key;
    const taken: Queued[] = [];
    const kept: Queued[] = [];
    for (const entry of this.queue) (entry.key === key ? taken : kept).push(entry);
    this.queue.length = 0;
    for (const entry of kept) this.queue.push(entry);
    return taken;
  }
}

/** The batch key of each options object seen (writes with equal keys may share a WAIT). */
const keys = new WeakMap<ResolvedDurableOptions, string>();

/** Writes with the same replicas, timeout and rule may share a batch; kept per options object (the writer's defaults are one object). */
function batchKey(options: ResolvedDurableOptions): string {
  let key = keys.get(options);
  if (key === undefined) {
    key = `${options.replicas}/${options.minReplicas}/${options.timeoutMs}/${options.replicaSet}`;
    keys.set(options, key);
  }
  return key;
}

/** The group commit of each source, per sentinel view (a source is normally used with one view). */
const commits = new WeakMap<DurableConnectionSource, Map<SentinelView | undefined, GroupCommit>>();

/** The shared {@link GroupCommit} of `source` and `view`: every writer on the same source batches together. */
export function groupCommitOf(source: DurableConnectionSource, view: SentinelView | undefined): GroupCommit {
  let byView = commits.get(source);
  if (byView === undefined) {
    byView = new Map();
    commits.set(source, byView);
  }
  let commit = byView.get(view);
  if (commit === undefined) {
    commit = new GroupCommit(source, view);
    byView.set(view, commit);
  }
  return commit;
}
