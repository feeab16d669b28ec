import { backoffDelay } from '@failsoft/local-runtime';

/** Options of {@link RestartBackoff}. */
export interface RestartBackoffOptions {
  /** Wait before the first restart, ms (doubles per exit in a row). */
  readonly initialMs: number;
  /** Longest wait, ms. */
  readonly maxMs: number;
  /** A node that stayed up this long is healthy again: its next exit waits `initialMs` again. */
  readonly resetAfterMs: number;
  /** Clock (injectable for specs). */
  readonly now?: () => number;
}

/** The supervisor's Redis backoff: 500 ms doubling to 5 s, forgotten after 30 s up (as the services' supervisor). */
export const REDIS_RESTART_BACKOFF: RestartBackoffOptions = { initialMs: 500, maxMs: 5000, resetAfterMs: 30_000 };

/**
 * How long the supervisor waits before restarting an exited node, per node (by key): doubling per
 * exit in a row, and back to the start once the node stayed up for `resetAfterMs` (a crash eight
 * minutes after the last one is a first crash, not the next of a crash loop).
 */
export class RestartBackoff {
  private readonly exits = new Map<string | number, number>();
  private readonly upSince = new Map<string | number, number>();
  private readonly now: () => number;

  /** @throws RangeError naming a bad option. */
  constructor(private readonly options: RestartBackoffOptions = REDIS_RESTART_BACKOFF) {
    for (const name of ['initialMs', 'maxMs', 'resetAfterMs'] as const) {
      const value = options[name];
      if (!Number.isFinite(value) || value < 0) throw new RangeError(`RestartBackoff: ${name} must be a number >= 0; got ${value}`);
    }
    if (options.maxMs < options.initialMs) throw new RangeError(`RestartBackoff: maxMs (${options.maxMs}) must be >= initialMs (${options.initialMs})`);
    this.now = options.now ?? Date.now;
  }

  /** The node `key` exited: how long to wait before restarting it, ms. */
  onExit(key: string | number): number {
    const since = this.upSince.get(key);
    this.upSince.delete(key);
    if (since !== undefined && this.now() - since >= this.options.resetAfterMs) this.exits.delete(key);
    const exits = this.exits.get(key) ?? 0;
    this.exits.set(key, exits + 1);
    return backoffDelay(exits, this.options.initialMs, this.options.maxMs);
  }

  /** The node `key` runs again (restarted, or up from the start): the clock of its stay up starts. */
  onUp(key: string | number): void {
    this.upSince.set(key, this.now());
  }

  /** The wait before retry `attempt` (1-based) of a restart that failed, ms. */
  retryDelay(attempt: number): number {
    return backoffDelay(attempt, this.options.initialMs, this.options.maxMs);
  }
}
