import { OfflineQueueFullError } from './offline-queue-full.error';

/** One admitted entry: a command (or a whole pipeline) waiting for the connection to be ready. */
interface Entry {
  readonly size: number;
  readonly send: () => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The bounded offline queue of a {@link StateRedis}: commands issued while the connection is not
 * ready wait here (in order) until it is, then are sent. An entry is a command or a whole pipeline
 * (MULTI): it is admitted while fewer than `limit` commands wait, so a pipeline is never half
 * queued (the bound may be exceeded by the rest of one pipeline); beyond that `admit()` rejects at
 * once with {@link OfflineQueueFullError}. Each entry is also bounded in time (`timeoutMs`, the
 * client's `commandTimeout`). Timers are unref()'d.
 */
export class BoundedOfflineQueue {
  private readonly entries: Entry[] = [];
  private waiting = 0;

  /**
   * @param limit most commands waiting (0 = none: every admission fails fast).
   * @param timeoutMs how long an entry may wait before it fails with "Command timed out" (undefined = no limit).
   */
  constructor(
    readonly limit: number,
    private readonly timeoutMs: number | undefined,
  ) {}

  /** Commands waiting (a pipeline counts its commands). */
  get length(): number {
    return this.waiting;
  }

  /**
   * Queues `send` (run once the connection is ready) and settles with its result.
   * @param name what is queued (named in the error when the queue is full).
   * @param size how many commands it holds (a pipeline's length).
   */
  admit<T>(name: string, size: number, send: () => Promise<T>): Promise<T> {
    if (this.waiting >= this.limit) return Promise.reject(new OfflineQueueFullError(this.limit, name));
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = { size, send, resolve: resolve as (value: unknown) => void, reject, timer: undefined };
      if (this.timeoutMs !== undefined) {
        entry.timer = setTimeout(() => {
          if (this.remove(entry)) reject(new Error('Command timed out'));
        }, this.timeoutMs);
        entry.timer.unref();
      }
      this.entries.push(entry);
      this.waiting += size;
    });
  }

  /** Sends every waiting entry, in order (call once the connection is ready). */
  flush(): void {
    for (const entry of this.take()) entry.send().then(entry.resolve, entry.reject);
  }

  /** Fails every waiting entry with `error` (max retries reached, connection ended). */
  rejectAll(error: Error): void {
    for (const entry of this.take()) entry.reject(error);
  }

  private take(): Entry[] {
    const entries = this.entries.splice(0);
    this.waiting = 0;
    for (const entry of entries) clearTimeout(entry.timer);
    return entries;
  }

  private remove(entry: Entry): boolean {
    const at = this.entries.indexOf(entry);
    if (at < 0) return false;
    this.entries.splice(at, 1);
    this.waiting -= entry.size;
    return true;
  }
}
