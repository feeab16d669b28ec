import type { RedisConnection } from '../client/redis-connection';
import { connectionGeneration } from './connection-source';
import { DurabilityError } from './durability.error';
import type { ResolvedDurableOptions } from './durable.options';
import type { RedisCommand } from './redis-command';
import type { SentinelView, SentinelViewSnapshot } from './sentinel-view';

/**
 * What earlier batches learned of the server behind a connection, per connection generation (a new
 * connection knows nothing): its run_id (rule 'sentinel' asks INFO once), and the replicas the last
 * batch required (from its ROLE), for which the next batch sends its WAIT right behind its
 * commands (see {@link commitBatch}) instead of one round trip later.
 */
interface Known {
  readonly generation: number;
  runId?: string;
  required?: number;
}
const knownOf = new WeakMap<object, Known>();

/**
 * How long the early WAIT of a batch may block (ms). It asks for as many replicas as the previous
 * batch needed; when a replica has left since, it cannot be met and times out, so it is kept short.
 * A shortfall is made up by a second WAIT for the remaining time.
 */
export const EARLY_WAIT_MS = 50;

/** One write of a batch: its command and how to answer its caller. */
export interface BatchEntry {
  readonly command: RedisCommand;
  readonly resolve: (ack: { result: unknown; acknowledgedBy: number; required: number }) => void;
  readonly reject: (error: unknown) => void;
}

/** What one batch needs besides its writes. */
export interface BatchContext {
  readonly options: ResolvedDurableOptions;
  /** The sentinels' view, for rule `replicaSet: 'sentinel'` (undefined: no replica-set check). */
  readonly view: SentinelView | undefined;
  /** Wait for the connection to be ready rather than queue on it. */
  readonly waitForReady: boolean;
}

/** Resolves true once `connection` is ready, false after `timeoutMs` (the timer is unref()ed). */
function whenReady(connection: RedisConnection, timeoutMs: number): Promise<boolean> {
  if (connection.status === 'ready') return Promise.resolve(true);
  if (connection.status === 'end') return Promise.resolve(false);
  if (connection.status === 'wait') connection.connect().catch(() => undefined);
  return new Promise((resolve) => {
    const onReady = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      connection.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    timer.unref();
    connection.once('ready', onReady);
  });
}

/**
 * Runs one group commit on `connection`: every write of `entries`, then `ROLE` (and `INFO server`
 * when the server's run_id is not known yet), in ONE pipeline; then `WAIT n timeout` (n from that
 * `ROLE`), sent after all of them on the same connection, so it covers every write of the batch
 * (Redis replicates a connection's commands in order). With rule `'sentinel'`, ONE check of the
 * sentinels' view, started once the writes are applied, covers the batch too. Each entry is
 * settled: its own command error (WRONGTYPE...) as it is; otherwise acknowledged only if the shared
 * WAIT and checks pass, else the same {@link DurabilityError} for every write of the batch. Never throws.
 *
 * Early WAIT: when the previous batch on this connection needed n replicas, a `WAIT n` of at most
 * {@link EARLY_WAIT_MS} follows the pipeline in the same event-loop turn, so the replicas' confirmation is
 * not a round trip behind the writes' replies, and the sentinel check runs while it waits. Its
 * reply counts only against the n this batch's own `ROLE` requires; when it falls short (a replica
 * joined, or the replicas were slower), a second `WAIT` for the rest of the timeout decides. Both
 * cover the batch's writes: each is sent after them on the same connection.
 */
export async function commitBatch(connection: RedisConnection, entries: readonly BatchEntry[], context: BatchContext): Promise<void> {
  const live: BatchEntry[] = [...entries];
  try {
    const written = await writeBatch(connection, live, context);
    const acknowledgedBy = await confirmBatch(connection, written, context);
    written.live.forEach((entry, i) => entry.resolve({ result: written.results[i], acknowledgedBy, required: written.required }));
  } catch (error) {
    for (const entry of live) entry.reject(error);
  }
}

/** What the write pipeline of a batch learned. */
interface Written {
  /** The entries whose command succeeded, and their replies (same order). */
  readonly live: BatchEntry[];
  readonly results: unknown[];
  readonly required: number;
  readonly online: string[];
  readonly generation: number;
  readonly writtenAt: bigint;
  /** run_id of the server that took the writes (rule 'sentinel'). */
  readonly runId: string | undefined;
  /** The early WAIT sent with the writes, if any: its reply, or the error it got. */
  readonly early: EarlyWait | undefined;
  /** When the writes were sent (ms, Date.now()): the WAIT timeout counts from here. */
  readonly sentAt: number;
}

/** An early WAIT (see {@link commitBatch}): how many replicas it asked for, and its outcome. */
interface EarlyWait {
  readonly replicas: number;
  readonly reply: Promise<number | Error>;
}

/** How many replicas the early WAIT asks for, or undefined for none (nothing known yet, or none needed). */
function earlyReplicas(known: Known, { replicas }: ResolvedDurableOptions): number | undefined {
  const last = known.required;
  if (last === undefined || last === 0) return undefined;
  return replicas === 'all' || replicas === last ? last : undefined;
}

/**
 * Sends the writes + ROLE (+ INFO) pipeline. Rejects the entries whose own command failed and
 * removes them from `live` (which then lists the writes still waiting for their confirmation).
 */
async function writeBatch(connection: RedisConnection, live: BatchEntry[], { options: o, view, waitForReady }: BatchContext): Promise<Written> {
  const entries = [...live];
  if (waitForReady && connection.status !== 'ready') {
    // wait for the connection rather than queueing: a write queued across reconnects could not
    // be confirmed anyway (CONNECTION_CHANGED)
    const within = connection.options.commandTimeout ?? 5000;
    if (!(await whenReady(connection, within))) throw new DurabilityError('NOT_CONNECTED', 0, 0, within);
  }
  const generation = connectionGeneration(connection);
  const stored = knownOf.get(connection);
  const known: Known = stored?.generation === generation ? stored : { generation };
  knownOf.set(connection, known);
  const askRunId = view !== undefined && known.runId === undefined;
  const earlySize = earlyReplicas(known, o);
  const pipeline = connection.livePipeline?.() ?? connection.pipeline();
  for (const { command } of entries) pipeline.call(command[0], ...command.slice(1));
  pipeline.call('role');
  if (askRunId) pipeline.call('info', 'server');
  const sentAt = Date.now();
  const sent = pipeline.exec();
  // written to the socket right after the pipeline (same synchronous turn): the WAIT follows the writes
  const early: EarlyWait | undefined =
    earlySize === undefined
      ? undefined
      : { replicas: earlySize, reply: connection.call('wait', earlySize, Math.min(EARLY_WAIT_MS, o.timeoutMs)).then(Number, (error: unknown) => (error instanceof Error ? error : new Error(String(error)))) };
  const replies = (await sent) ?? [];
  const writtenAt = process.hrtime.bigint();
  const n = entries.length;
  live.length = 0;
  const results: unknown[] = [];
  entries.forEach((entry, i) => {
    const [error, reply] = replies[i] ?? [new Error('no reply to the write in its pipeline')];
    if (error) entry.reject(error);
    else {
      live.push(entry);
      results.push(reply);
    }
  });
  for (const [error] of replies.slice(n)) if (error) throw error;
  const role = replies[n]?.[1] as [string, number, Array<[string, string, string]>?];
  const online = Array.isArray(role?.[2]) ? role[2].map(([host, port]) => `${host}:${port}`) : [];
  if (askRunId) known.runId = /run_id:(\w+)/.exec(String(replies[n + 1]?.[1]))?.[1] ?? '';
  const runId = known.runId;
  const required = o.replicas === 'all' ? Math.max(o.minReplicas, online.length) : o.replicas;
  if (role?.[0] !== 'master') throw new DurabilityError('NOT_MASTER', 0, required, o.timeoutMs);
  known.required = required;
  return { live, results, required, online, generation, writtenAt, runId, early, sentAt };
}

/** The one WAIT (and sentinel check) of a batch, sent after all its writes; resolves with the replicas that confirmed. */
async function confirmBatch(connection: RedisConnection, written: Written, { options: o, view }: BatchContext): Promise<number> {
  const { live, required, generation } = written;
  if (required === 0 || live.length === 0) return 0;
  // the sentinels are asked AFTER the writes: their view covers every replica that could be promoted from now on
  const checked = view?.check(written.writtenAt).catch((error: unknown) => error as Error);
  let acknowledged = written.early === undefined ? -1 : await written.early.reply;
  if (acknowledged instanceof Error) throw new DurabilityError('WAIT_FAILED', 0, required, o.timeoutMs, { cause: acknowledged });
  if (acknowledged < required) {
    // no early WAIT, or it fell short: one WAIT for the required replicas, for what is left of the timeout
    const left = Math.max(1, o.timeoutMs - (Date.now() - written.sentAt));
    try {
      acknowledged = Number(await connection.call('wait', required, written.early === undefined ? o.timeoutMs : left));
    } catch (error) {
      throw new DurabilityError('WAIT_FAILED', 0, required, o.timeoutMs, { cause: error });
    }
  }
  if (connectionGeneration(connection) !== generation) throw new DurabilityError('CONNECTION_CHANGED', acknowledged, required, o.timeoutMs);
  if (acknowledged < required) throw new DurabilityError('TIMEOUT', acknowledged, required, o.timeoutMs);
  if (checked) confirmReplicaSet(await checked, written.runId ?? '', written.online, acknowledged, required, o);
  return acknowledged;
}

/** Rule `replicaSet: 'sentinel'`: the sentinels name this master and every replica they could promote is online (so it confirmed). */
function confirmReplicaSet(view: SentinelViewSnapshot | Error, runId: string, online: string[], acknowledged: number, required: number, o: ResolvedDurableOptions): void {
  const fail = (why: string): never => {
    throw new DurabilityError('UNCONFIRMED', acknowledged, required, o.timeoutMs, { cause: new Error(why) });
  };
  if (view instanceof Error) fail(view.message);
  const snapshot = view as SentinelViewSnapshot;
  if (snapshot.masterRunId !== runId) fail(`the sentinels follow master ${snapshot.masterRunId.slice(0, 8) || '?'}, not this server ${runId.slice(0, 8) || '?'}`);
  const missing = snapshot.promotable.filter((address) => !online.includes(address));
  if (missing.length) fail(`replica(s) ${missing.join(', ')} could be promoted but are not connected to this master`);
}
