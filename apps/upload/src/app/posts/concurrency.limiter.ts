/** Why a task never ran: the queue was full, or its caller gave up (deadline, cancel) while it waited. */
export class QueueRejectedError extends Error {
  /** @param code `QUEUE_FULL` or `EXPIRED_IN_QUEUE`; @param message what happened. */
  constructor(
    readonly code: 'QUEUE_FULL' | 'EXPIRED_IN_QUEUE',
    message: string,
  ) {
    super(message);
    this.name = 'QueueRejectedError';
  }
}

/** True when `error` is a QueueRejectedError. */
export function isQueueRejectedError(error: unknown): error is QueueRejectedError {
  return error instanceof QueueRejectedError;
}

interface Waiter {
  readonly start: () => void;
  readonly signal?: AbortSignal;
}

/**
 * Runs at most `limit` tasks at once; at most `maxQueued` others wait, in arrival order (more are
 * refused at once with `QUEUE_FULL`). A waiting task whose `signal` aborts (its call's deadline
 * passed, or the caller left) is dropped without running (`EXPIRED_IN_QUEUE`): decoding an image
 * nobody waits for any more only delays the ones still wanted. Used to bound image decoding (CPU
 * and memory heavy) independently of how many calls the gRPC server admits.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  /** @param limit tasks run at once (an integer >= 1); @param maxQueued tasks waiting at most (integer >= 0). */
  constructor(
    readonly limit: number,
    readonly maxQueued: number = Number.MAX_SAFE_INTEGER,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`ConcurrencyLimiter: limit must be an integer >= 1, got ${limit}`);
    if (!Number.isInteger(maxQueued) || maxQueued < 0) throw new RangeError(`ConcurrencyLimiter: maxQueued must be an integer >= 0, got ${maxQueued}`);
  }

  /** Tasks running now. */
  get running(): number {
    return this.active;
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `task` once a slot is free and resolves (or rejects) with its outcome.
   * @throws QueueRejectedError when the queue is full, or `signal` aborted before the task started.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw expired();
    if (this.active >= this.limit) await this.wait(signal);
    else this.active++;
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private wait(signal: AbortSignal | undefined): Promise<void> {
    if (this.waiting.length >= this.maxQueued) {
      return Promise.reject(new QueueRejectedError('QUEUE_FULL', `${this.limit} image jobs are running and ${this.waiting.length} waiting, the most this instance queues; retry shortly`));
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiting.indexOf(waiter);
        if (index !== -1) this.waiting.splice(index, 1);
        reject(expired());
      };
      const waiter: Waiter = {
        signal,
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** The slot passes straight to the next waiting task (one whose caller gave up has left the queue). */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next.start();
    else this.active--;
  }
}

function expired(): QueueRejectedError {
  return new QueueRejectedError('EXPIRED_IN_QUEUE', 'the call ended (deadline or cancel) while its image waited to be decoded; nothing was stored');
}
