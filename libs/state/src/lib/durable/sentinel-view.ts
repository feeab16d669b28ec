import { Redis } from 'ioredis';

/** A replica as the sentinels see it, `host:port` as announced (the same form as in the master's ROLE). */
export interface ViewReplica {
  readonly address: string;
}

/** What a majority of the sentinels agree on at one moment. */
export interface SentinelViewSnapshot {
  /** run_id of the master the agreeing sentinels name. */
  readonly masterRunId: string;
  /** Replicas some answering sentinel could promote (not s_down/o_down/disconnected, priority > 0). */
  readonly promotable: readonly string[];
  /** Sentinels that answered and agreed / sentinels known in all. */
  readonly agreeing: number;
  readonly known: number;
}

/** Why the sentinels' view could not confirm a master (see {@link SentinelView.check}). */
export class SentinelViewUnconfirmed extends Error {}

/** Options of a {@link SentinelView}. */
export interface SentinelViewOptions {
  readonly sentinels: ReadonlyArray<{ host: string; port: number }>;
  readonly masterName: string;
  readonly username?: string;
  readonly password?: string;
  /** Per-query timeout in ms (a cut or hung sentinel costs at most this much). */
  readonly timeoutMs: number;
}

/** Turns the flat [k, v, k, v] reply of SENTINEL MASTER / REPLICAS into an object. */
function pairs(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

/** What one sentinel said. */
interface Answer {
  readonly runId: string;
  readonly masterFlags: string;
  readonly promotable: string[];
}

const DOWN = /\b(s_down|o_down|disconnected|failover_in_progress|promoted)\b/;

/**
 * Asks every sentinel, in parallel, which master they follow and which replicas they could promote:
 * the check of the replica set behind durable writes (rule `replicaSet: 'sentinel'`). A check
 * shares the query in flight when that one started after the asker's write, else the next query,
 * which starts at the end of the current event-loop turn (so batches finishing together share
 * one). One connection per sentinel, opened on first use; `shutdown()` closes them.
 */
export class SentinelView {
  private readonly connections: Redis[];
  private inFlight: { startedAt: bigint; promise: Promise<SentinelViewSnapshot> } | undefined;
  /** The query that starts at the end of this event-loop turn, shared by every check asked for before. */
  private next: Promise<SentinelViewSnapshot> | undefined;

  /** @param options the sentinels and how to reach them. */
  constructor(private readonly options: SentinelViewOptions) {
    this.connections = options.sentinels.map(({ host, port }) => {
      const connection = new Redis({
        host,
        port,
        username: options.username,
        password: options.password,
        lazyConnect: true,
        enableOfflineQueue: true,
        maxRetriesPerRequest: 0,
        commandTimeout: options.timeoutMs,
        connectTimeout: options.timeoutMs,
        retryStrategy: () => Math.min(200, options.timeoutMs),
        enableReadyCheck: false,
        disconnectTimeout: 100,
      });
      connection.on('error', () => undefined); // a cut sentinel is expected: its answer is just missing
      return connection;
    });
  }

  /**
   * The view of a majority of the sentinels, taken AFTER `since` (a `process.hrtime.bigint()`
   * reading): every sentinel that answers must name the same master, with no failover under way,
   * and more than half of the sentinels known must answer.
   * @throws SentinelViewUnconfirmed saying what is missing.
   */
  check(since: bigint): Promise<SentinelViewSnapshot> {
    const current = this.inFlight;
    if (current && current.startedAt >= since) return current.promise;
    // not started yet, so it starts after `since`: every check asked for in this turn shares it
    if (this.next) return this.next;
    // nothing in flight: start now (a later check of this turn shares it when its write came before)
    if (current === undefined) return this.start();
    const next = new Promise<SentinelViewSnapshot>((resolve, reject) => {
      setImmediate(() => {
        this.next = undefined;
        this.start().then(resolve, reject);
      });
    });
    this.next = next;
    return next;
  }

  /** Starts a query now; it is the one in flight until it settles. */
  private start(): Promise<SentinelViewSnapshot> {
    const startedAt = process.hrtime.bigint();
    const promise = this.query().finally(() => {
      if (this.inFlight?.promise === promise) this.inFlight = undefined;
    });
    this.inFlight = { startedAt, promise };
    return promise;
  }

  /** Closes the sentinel connections. */
  shutdown(): void {
    for (const connection of this.connections) connection.disconnect();
  }

  /**
   * Asks every sentinel at once and settles as soon as the answers so far decide: a majority that
   * agrees (a slower sentinel then counts as not answering, as a cut one does: one slow sentinel
   * does not hold up every durable write), or a disagreement or a failover flag (more answers
   * cannot undo either), or the last answer.
   */
  private query(): Promise<SentinelViewSnapshot> {
    const known = this.connections.length;
    const needed = Math.floor(known / 2) + 1;
    return new Promise((resolve, reject) => {
      const answers: Answer[] = [];
      let pending = known;
      let settled = false;
      const decide = (): void => {
        const verdict = answers.length >= needed || pending === 0 ? judge(answers, known, needed) : undefined;
        if (verdict === undefined) return;
        settled = true;
        if (verdict instanceof SentinelViewUnconfirmed) reject(verdict);
        else resolve(verdict);
      };
      for (const connection of this.connections) {
        void this.ask(connection).then((answer) => {
          pending--;
          if (settled) return;
          // A sentinel that does not know the master's run_id yet (just restarted: no INFO from it
          // so far) has no view to give: it counts as not answering, like a cut one.
          if (answer !== undefined && answer.runId !== '') answers.push(answer);
          decide();
        });
      }
    });
  }

  private async ask(connection: Redis): Promise<Answer | undefined> {
    try {
      if (connection.status === 'wait') await connection.connect();
      const replies = await connection.pipeline().call('sentinel', 'master', this.options.masterName).call('sentinel', 'replicas', this.options.masterName).exec();
      if (!replies || replies.some(([error]) => error)) return undefined;
      const master = pairs(replies[0][1]);
      const replicas = (replies[1][1] as unknown[]).map(pairs);
      return {
        runId: master['runid'] ?? '',
        masterFlags: master['flags'] ?? '',
        promotable: replicas.filter((r) => !DOWN.test(r['flags'] ?? '') && r['slave-priority'] !== '0').map((r) => `${r['ip']}:${r['port']}`),
      };
    } catch {
      return undefined;
    }
  }
}

/**
 * What `answers` (from `known` sentinels, `needed` of them a majority) say: the snapshot they agree
 * on, or why they do not confirm a master.
 */
function judge(answers: readonly Answer[], known: number, needed: number): SentinelViewSnapshot | SentinelViewUnconfirmed {
  // The majority is of the sentinels configured here, not of num-other-sentinels: a sentinel
  // restarted without its old myid stays listed by its peers under both ids until SENTINEL
  // RESET, and counting those ghosts would ask for an answer from a sentinel that is not there.
  const runIds = new Set(answers.map((a) => a.runId));
  if (runIds.size > 1) return new SentinelViewUnconfirmed(`the sentinels name ${runIds.size} different masters (a failover is under way)`);
  const busy = answers.find((a) => DOWN.test(a.masterFlags));
  if (busy) return new SentinelViewUnconfirmed(`a sentinel flags the master "${busy.masterFlags}"`);
  if (answers.length < needed) return new SentinelViewUnconfirmed(`only ${answers.length} of ${known} sentinels answered (${needed} needed)`);
  return { masterRunId: answers[0].runId, promotable: [...new Set(answers.flatMap((a) => a.promotable))].sort(), agreeing: answers.length, known };
}

/** The view attached to a client by createSentinelClient (see {@link sentinelViewOf}). */
const views = new WeakMap<object, SentinelView>();

/** Records that durable writes through `client` check the replica set against `view`. */
export function attachSentinelView(client: object, view: SentinelView): void {
  views.set(client, view);
}

/** The sentinel view of a client made by createSentinelClient, or undefined (plain clients have no failover to guard against). */
export function sentinelViewOf(client: object): SentinelView | undefined {
  return views.get(client);
}
