import { EventEmitter, type Event } from '../core/event';
import type { CallInfo, IPolicy, PolicyContext, PolicyFn } from '../core/policy';
import { InvalidOptionsError, SidecarError } from '../core/sidecar.error';
import { assertNumber, assertObject, assertString, show } from '../core/validate';
import { BulkheadRejectedError } from './bulkhead-rejected.error';
import { asPolicyContext, describeCall, isContextAborted } from './policy-context';

/** Options of a BulkheadPolicy. */
export interface BulkheadOptions {
  /** Calls allowed to run at once (integer ≥ 1). */
  readonly maxConcurrent: number;
  /** Calls allowed to wait for a slot (integer ≥ 0, default 0: overflow fails fast). */
  readonly maxQueue?: number;
  /** Name used in errors and events (e.g. the downstream service). */
  readonly name?: string;
  /**
   * Set when this bulkhead guards a single instance: its rejections then carry the instance id
   * and are retryable on another instance.
   */
  readonly instanceId?: string;
}

/** Payload of `onReject`. */
export interface BulkheadRejectEvent {
  /** The call that was shed. */
  readonly call: CallInfo;
  /** Calls running when it was shed. */
  readonly executing: number;
  /** Calls queued when it was shed. */
  readonly queued: number;
}

/** A call waiting for a slot. */
interface Waiter {
  readonly fn: PolicyFn<unknown>;
  readonly context: PolicyContext;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * Bounded concurrency (load shedding): at most `maxConcurrent` calls run, at most `maxQueue` wait
 * (FIFO); anything beyond fails fast with `BulkheadRejectedError` (code `BULKHEAD_REJECTED`).
 * A queued call leaves the queue (rejected with its signal's reason) as soon as its signal aborts.
 */
export class BulkheadPolicy implements IPolicy {
  /** Maximum calls running at once. */
  readonly maxConcurrent: number;
  /** Maximum calls waiting. */
  readonly maxQueue: number;
  /** Name used in errors. */
  readonly name: string;
  /** Instance guarded, when per-instance. */
  readonly instanceId: string | undefined;
  private active = 0;
  private readonly queue: Waiter[] = [];
  private closed = false;
  private readonly rejectEmitter = new EventEmitter<BulkheadRejectEvent>();

  /** Fires when a call is shed because the bulkhead and its queue are full. */
  readonly onReject: Event<BulkheadRejectEvent> = this.rejectEmitter.event;

  /** @throws InvalidOptionsError naming the bad option. */
  constructor(options: BulkheadOptions) {
    assertObject('bulkhead', options);
    this.maxConcurrent = assertNumber('bulkhead.maxConcurrent', options.maxConcurrent, 1, 1_000_000, true);
    this.maxQueue = assertNumber('bulkhead.maxQueue', options.maxQueue ?? 0, 0, 1_000_000, true);
    this.name = options.name === undefined ? '' : assertString('bulkhead.name', options.name);
    if (options.instanceId !== undefined && (typeof options.instanceId !== 'string' || options.instanceId === '')) {
      throw new InvalidOptionsError(`bulkhead.instanceId must be a non-empty string; got ${show(options.instanceId)}`);
    }
    this.instanceId = options.instanceId;
  }

  /** Free execution slots right now. */
  get executionSlots(): number {
    return this.maxConcurrent - this.active;
  }

  /** Free queue slots right now. */
  get queueSlots(): number {
    return this.maxQueue - this.queue.length;
  }

  /** Runs `fn` when a slot is free; queues or sheds it otherwise. */
  execute<T>(fn: PolicyFn<T>, context?: Partial<PolicyContext> | AbortSignal): Promise<T> {
    const ctx = asPolicyContext(context);
    if (this.closed) return Promise.reject(this.rejection(ctx, 'it is shut down'));
    if (this.active < this.maxConcurrent) {
      this.active++;
      return this.run(fn, ctx);
    }
    if (this.queue.length < this.maxQueue) return this.enqueue(fn, ctx);
    return Promise.reject(this.rejection(ctx, `all ${this.maxConcurrent} slots and ${this.maxQueue} queue places are taken`));
  }

  /** Sheds every queued call and rejects new ones; running calls finish normally. */
  shutdown(): void {
    this.closed = true;
    const waiters = this.queue.splice(0);
    for (const waiter of waiters) {
      this.detach(waiter);
      waiter.reject(this.rejection(waiter.context, 'it is shut down'));
    }
  }

  private run<T>(fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    // No async frame: the slot is released when `fn` settles (or throws synchronously).
    let result: PromiseLike<T> | T;
    try {
      result = fn(ctx);
    } catch (error) {
      this.release();
      return Promise.reject(error);
    }
    return Promise.resolve(result).then(
      (value) => {
        this.release();
        return value;
      },
      (error: unknown) => {
        this.release();
        throw error;
      },
    );
  }

  private enqueue<T>(fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    if (isContextAborted(ctx)) return Promise.reject(ctx.signal.reason);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = { fn: fn as PolicyFn<unknown>, context: ctx, resolve: resolve as (value: unknown) => void, reject };
      const signal = ctx.signal;
      waiter.signal = signal;
      waiter.onAbort = () => {
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
        reject(signal.reason ?? new SidecarError('ABORTED', `${describeCall(ctx.call)} was aborted while queued`));
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private release(): void {
    this.active--;
    while (this.active < this.maxConcurrent && this.queue.length > 0) {
      const waiter = this.queue.shift() as Waiter;
      this.detach(waiter);
      this.active++;
      this.run(waiter.fn, waiter.context).then(waiter.resolve, waiter.reject);
    }
  }

  private detach(waiter: Waiter): void {
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
  }

  private rejection(ctx: PolicyContext, why: string): BulkheadRejectedError {
    if (this.rejectEmitter.hasListeners) {
      this.rejectEmitter.emit({ call: ctx.call, executing: this.active, queued: this.queue.length });
    }
    const label = this.name ? `bulkhead "${this.name}"` : 'bulkhead';
    const where = this.instanceId ? ` (instance ${this.instanceId})` : '';
    return new BulkheadRejectedError(
      `${describeCall(ctx.call)} was shed by ${label}${where}: ${why}; retry later or raise bulkhead.maxConcurrent`,
      this.name,
      this.instanceId,
    );
  }
}
