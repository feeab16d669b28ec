import { apiRequest } from '../load/api-client';

/** What a {@link TrendingWatch} saw. */
export interface TrendingSeen {
  /** Fresh (non-degraded) trending answers read. */
  readonly reads: number;
  /** Fresh answers whose fencing token was LOWER than one already seen: a stale leader's write that got through. */
  readonly stale: number;
  /** The first stale answer, for the report (`feed-1 token 3 after token 4`). */
  readonly firstStale: string | null;
  /** Every (leader, token) seen, in order of first sight (`feed-1#3`). */
  readonly terms: readonly string[];
}

/** The trending page fields the watch reads. */
interface TrendingBody {
  readonly leaderInstanceId?: string;
  readonly fencingToken?: string | number;
  readonly degraded?: readonly string[];
}

/**
 * Reads `GET /api/trending` through the front door every `everyMs` until {@link stop}, and checks
 * the fencing invariant from the outside: the token of the result served never goes down (a leader
 * that lost its lease, e.g. cut from Redis while it expired, must not overwrite its successor's
 * result when its late write arrives). Degraded answers (the gateway's last-good copy) are skipped.
 */
export class TrendingWatch {
  private reads = 0;
  private stale = 0;
  private firstStale: string | null = null;
  private maxToken = -1;
  private maxLeader = '';
  private readonly terms: string[] = [];
  /** Highest fresh token seen per leader. */
  private readonly tokens = new Map<string, number>();
  private stopped = false;
  private readonly loop: Promise<void>;

  /** Starts polling `<url>/api/trending`. */
  constructor(
    private readonly url: string,
    private readonly everyMs = 250,
  ) {
    this.loop = this.run();
  }

  /**
   * The first leader other than `old` whose fresh result carries a token above every token seen
   * from `old` (its successor wrote under a newer lease term); null until one is seen.
   */
  successorOf(old: string): string | null {
    const oldToken = this.tokens.get(old) ?? 0;
    for (const term of this.terms) {
      const [leader, token] = term.split('#');
      if (leader !== old && Number(token) > oldToken) return leader;
    }
    return null;
  }

  /** Stops polling; resolves with what was seen. */
  async stop(): Promise<TrendingSeen> {
    this.stopped = true;
    await this.loop;
    return { reads: this.reads, stale: this.stale, firstStale: this.firstStale, terms: [...this.terms] };
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const started = Date.now();
      const call = await apiRequest<TrendingBody>(`${this.url}/api/trending?limit=1`, { timeoutMs: 2000 });
      if (call.status === 200 && call.json) this.record(call.json);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, this.everyMs - (Date.now() - started))).unref());
    }
  }

  private record(body: TrendingBody): void {
    if ((body.degraded?.length ?? 0) > 0) return;
    const token = Number(body.fencingToken);
    const leader = String(body.leaderInstanceId ?? '');
    if (!Number.isFinite(token) || token <= 0) return; // before the job's first run
    this.reads++;
    const term = `${leader}#${token}`;
    if (!this.terms.includes(term)) this.terms.push(term);
    this.tokens.set(leader, Math.max(token, this.tokens.get(leader) ?? 0));
    if (token < this.maxToken) {
      this.stale++;
      this.firstStale ??= `${leader} token ${token} after ${this.maxLeader} token ${this.maxToken}`;
      return;
    }
    this.maxToken = token;
    this.maxLeader = leader;
  }
}
