import { isUsableAnswer, judgeAnswers, SentinelViewUnconfirmed, type SentinelAnswer, type SentinelViewSnapshot } from './sentinel-answer';
import { SentinelLink } from './sentinel-link';

export { SentinelViewUnconfirmed, type SentinelViewSnapshot } from './sentinel-answer';

/**
 * How long a check waits for the sentinels it asked first before it asks the others too (ms). A
 * check asks a majority, the ones that answered best lately; one that is slow (hung, overloaded)
 * costs this much once, then goes to the back of the line.
 */
export const SENTINEL_HEDGE_MS = 25;

/** Options of a {@link SentinelView}. */
export interface SentinelViewOptions {
  readonly sentinels: ReadonlyArray<{ host: string; port: number }>;
  readonly masterName: string;
  readonly username?: string;
  readonly password?: string;
  /** Per-query timeout in ms (a cut or hung sentinel costs at most this much). */
  readonly timeoutMs: number;
}

/**
 * Asks a majority of the sentinels which master they follow and which replicas they could promote:
 * the check of the replica set behind durable writes (rule `replicaSet: 'sentinel'`). A check
 * shares the query in flight when that one started after the asker's write, else starts one (at
 * once when none is in flight, else at the end of the current event-loop turn, so batches
 * finishing together share one). A query asks the majority that answered best lately, and the
 * others too when one of those fails or is still silent after {@link SENTINEL_HEDGE_MS}: every
 * group commit pays for two sentinels' round trips, not three. One lean connection per sentinel
 * ({@link SentinelLink}), opened on first use; `shutdown()` closes them.
 */
export class SentinelView {
  private readonly links: SentinelLink[];
  /** Indexes of `links`, the ones to ask first in front (those that answered lately). */
  private readonly order: number[];
  private inFlight: { startedAt: bigint; promise: Promise<SentinelViewSnapshot> } | undefined;
  /** The query that starts at the end of this event-loop turn, shared by every check asked for before. */
  private next: Promise<SentinelViewSnapshot> | undefined;

  /** @param options the sentinels and how to reach them. */
  constructor(private readonly options: SentinelViewOptions) {
    this.links = options.sentinels.map(
      ({ host, port }) => new SentinelLink({ host, port, masterName: options.masterName, username: options.username, password: options.password, timeoutMs: options.timeoutMs }),
    );
    this.order = this.links.map((_, i) => i);
  }

  /**
   * The view of a majority of the sentinels, taken AFTER `since` (a `process.hrtime.bigint()`
   * reading): more than half of the sentinels known must answer, and the answers that decide (the
   * first majority, see {@link query}) must name the same master, with no failover under way, and
   * at least one of them must name its run_id (a sentinel reads it up to 10 s after a failover).
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
    for (const link of this.links) link.shutdown();
  }

  /**
   * Asks the majority first in line, and the rest when one of them gives no usable answer or the
   * hedge delay passes; settles once a majority has answered and one of them names the master's
   * run_id (see judgeAnswers: the others may agree by address), or when no sentinel is left to hear
   * from. A sentinel not asked or not answered yet counts as not answering, as a cut one does.
   * Sentinels that failed or were not heard from in time move to the back of the line.
   */
  private query(): Promise<SentinelViewSnapshot> {
    const known = this.links.length;
    const needed = Math.floor(known / 2) + 1;
    const line = [...this.order];
    const answers: SentinelAnswer[] = [];
    const answered = new Set<number>();
    let identified = false;
    let asked = 0;
    let heard = 0; // answers and failures
    let settled = false;
    return new Promise((resolve, reject) => {
      const decide = (): void => {
        if (settled || ((answers.length < needed || !identified) && heard < known)) return;
        settled = true;
        clearTimeout(hedge);
        this.reorder(line, answered);
        const verdict = judgeAnswers(answers, known, needed);
        if (verdict instanceof SentinelViewUnconfirmed) reject(verdict);
        else resolve(verdict);
      };
      const ask = (count: number): void => {
        const batch = line.slice(asked, asked + count);
        asked += batch.length;
        for (const index of batch) {
          void this.links[index].ask().then((answer) => {
            heard++;
            if (settled) return;
            if (answer !== undefined && isUsableAnswer(answer)) {
              answers.push(answer);
              answered.add(index);
              identified ||= answer.runId !== '';
            }
            // one more to hear from when this one gave nothing usable, or named no run_id
            if (answer === undefined || answer.runId === '') ask(1);
            decide();
          });
        }
      };
      const hedge = setTimeout(() => ask(known), SENTINEL_HEDGE_MS);
      hedge.unref();
      ask(needed);
    });
  }

  /** The sentinels that answered go first next time, in their current order; the others after them. */
  private reorder(line: readonly number[], answered: ReadonlySet<number>): void {
    const next = [...line.filter((i) => answered.has(i)), ...line.filter((i) => !answered.has(i))];
    this.order.splice(0, this.order.length, ...next);
  }
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
