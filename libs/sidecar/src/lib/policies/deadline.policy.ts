import { currentCallScope } from '../core/call-scope';
import { EventEmitter, type Event } from '../core/event';
import type { CallInfo, IPolicy, PolicyContext, PolicyFn } from '../core/policy';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, assertObject, show } from '../core/validate';
import { DeadlineExceededError } from './deadline-exceeded.error';
import { DeadlineScheduler, type Expirable } from './deadline-scheduler';
import { asPolicyContext, describeCall, isContextAborted, peekAborted } from './policy-context';

/** Options of a DeadlinePolicy. */
export interface DeadlineOptions {
  /** Longest time a call may take, in ms (1 … 2147483647). */
  readonly timeoutMs: number;
  /**
   * When true (default), a call made while serving another call (see `runInCallScope`) also
   * inherits the incoming call's deadline and cancellation, so the remaining budget propagates.
   */
  readonly inherit?: boolean;
}

/** Payload of `onTimeout`. */
export interface DeadlineTimeoutEvent {
  /** The call that ran out of time. */
  readonly call: CallInfo;
  /** The deadline (epoch ms) that passed. */
  readonly deadline: number;
  /** True when the call was refused before running (its deadline had already passed). */
  readonly refused: boolean;
}

/**
 * Gives every call a deadline: `min(outer deadline, now + timeoutMs, incoming call's deadline)`.
 *
 * - A call whose deadline has already passed is refused without running `fn`.
 * - The context handed inward carries the deadline and a signal that aborts at the deadline or
 *   when the outer signal (or the incoming call's signal) aborts. The signal is created lazily,
 *   on first read, because an AbortController costs microseconds; policies never read it on the
 *   happy path.
 * - When the deadline passes, the call is rejected at once with `DeadlineExceededError` (code
 *   `DEADLINE_EXCEEDED`) even if `fn` ignores its signal, and the signal aborts with that error.
 * - No timer per call: deadlines sit in a heap served by one unref'd timer per policy.
 */
export class DeadlinePolicy implements IPolicy {
  /** Timeout in ms applied to each call. */
  readonly timeoutMs: number;
  /** Whether the incoming call's deadline is inherited. */
  readonly inherit: boolean;
  private readonly timeoutEmitter = new EventEmitter<DeadlineTimeoutEvent>();
  /** @internal shared with the calls it schedules. */
  readonly scheduler = new DeadlineScheduler();

  /** Fires when a call runs out of time or is refused because its deadline already passed. */
  readonly onTimeout: Event<DeadlineTimeoutEvent> = this.timeoutEmitter.event;

  /** @throws InvalidOptionsError naming the bad option. */
  constructor(options: DeadlineOptions) {
    assertObject('deadline', options);
    this.timeoutMs = assertNumber('deadline.timeoutMs', options.timeoutMs, 1, 2_147_483_647);
    const inherit = options.inherit ?? true;
    if (typeof inherit !== 'boolean') throw new InvalidOptionsError(`deadline.inherit must be a boolean; got ${show(inherit)}`);
    this.inherit = inherit;
  }

  /** Runs `fn` under the deadline (see the class description). */
  execute<T>(fn: PolicyFn<T>, context?: Partial<PolicyContext> | AbortSignal): Promise<T> {
    const outer = asPolicyContext(context);
    const now = Date.now();
    let deadline = now + this.timeoutMs;
    if (outer.deadline < deadline) deadline = outer.deadline;
    let scopeSignal: AbortSignal | undefined;
    if (this.inherit) {
      const scope = currentCallScope();
      if (scope !== undefined) {
        if (scope.deadline < deadline) deadline = scope.deadline;
        scopeSignal = scope.signal;
      }
    }
    if (deadline <= now) {
      const error = new DeadlineExceededError(
        `${describeCall(outer.call)} refused: its deadline passed ${Math.round(now - deadline)} ms before it started; it was not run`,
        deadline,
        true,
      );
      this.emitTimeout(outer.call, deadline, true);
      return Promise.reject(error);
    }
    if (isContextAborted(outer) || (scopeSignal !== undefined && scopeSignal.aborted)) {
      const signal = isContextAborted(outer) ? outer.signal : (scopeSignal as AbortSignal);
      return Promise.reject(signal.reason);
    }
    return new DeadlineCall<T>(this, outer, deadline, now, scopeSignal).run(fn);
  }

  /** Stops the policy's timer and forgets the deadlines it was tracking (calls still running keep running). */
  shutdown(): void {
    this.scheduler.shutdown();
  }

  /** @internal */
  emitTimeout(call: CallInfo, deadline: number, refused: boolean): void {
    if (this.timeoutEmitter.hasListeners) this.timeoutEmitter.emit({ call, deadline, refused });
  }
}

/**
 * One call under a deadline: the context handed inward (with a lazily created signal), the heap
 * entry of the scheduler, and the deferred the caller awaits.
 */
class DeadlineCall<T> implements PolicyContext, Expirable {
  heapIndex = -1;
  private controller: AbortController | undefined;
  private linked = false;
  private done = false;
  private timedOut: DeadlineExceededError | undefined;
  private resolve!: (value: T | PromiseLike<T>) => void;
  private reject!: (error: unknown) => void;

  constructor(
    private readonly policy: DeadlinePolicy,
    private readonly outer: PolicyContext,
    readonly deadline: number,
    private readonly startedAt: number,
    private readonly scopeSignal: AbortSignal | undefined,
  ) {}

  get attempt(): number {
    return this.outer.attempt;
  }

  get call(): CallInfo {
    return this.outer.call;
  }

  /** Created on first read: aborts at the deadline, or when the outer or incoming call aborts. */
  get signal(): AbortSignal {
    if (this.controller !== undefined) return this.controller.signal;
    const controller = new AbortController();
    this.controller = controller;
    if (this.timedOut !== undefined) {
      controller.abort(this.timedOut);
    } else if (isContextAborted(this.outer)) {
      controller.abort(this.outer.signal.reason);
    } else if (this.scopeSignal?.aborted) {
      controller.abort(this.scopeSignal.reason);
    } else if (!this.done) {
      this.outer.signal.addEventListener('abort', this);
      this.scopeSignal?.addEventListener('abort', this);
      this.linked = true;
    }
    return controller.signal;
  }

  [peekAborted](): boolean {
    if (this.controller !== undefined) return this.controller.signal.aborted;
    return this.timedOut !== undefined || isContextAborted(this.outer) || this.scopeSignal?.aborted === true;
  }

  /** Outer (or incoming call) signal aborted: propagate inward. */
  handleEvent(event: { readonly target: unknown }): void {
    const source = event.target as AbortSignal;
    this.unlink();
    this.controller?.abort(source.reason);
  }

  run(fn: PolicyFn<T>): Promise<T> {
    const promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.policy.scheduler.add(this);
    // No async wrapper (one promise and await less per call): `fn` runs now, its result is followed directly.
    try {
      const result = fn(this);
      if (isThenable(result)) {
        result.then(
          (value) => this.succeeded(value),
          (error: unknown) => this.failed(error),
        );
      } else {
        this.succeeded(result);
      }
    } catch (error) {
      this.failed(error);
    }
    return promise;
  }

  /** Deadline passed while running: reject now and abort the work. */
  expire(): void {
    if (this.done) return;
    this.done = true;
    const error = new DeadlineExceededError(
      `${describeCall(this.outer.call)} did not finish within ${Math.round(this.deadline - this.startedAt)} ms (deadline exceeded)`,
      this.deadline,
      false,
    );
    this.timedOut = error;
    this.unlink();
    this.controller?.abort(error);
    this.policy.emitTimeout(this.outer.call, this.deadline, false);
    this.reject(error);
  }

  private succeeded(value: T): void {
    if (this.done) return;
    this.finish();
    this.resolve(value);
  }

  private failed(error: unknown): void {
    if (this.done) return;
    this.finish();
    this.reject(error);
  }

  private finish(): void {
    this.done = true;
    this.policy.scheduler.remove(this);
    if (this.linked) this.unlink();
  }

  private unlink(): void {
    if (!this.linked) return;
    this.linked = false;
    this.outer.signal.removeEventListener('abort', this);
    this.scopeSignal?.removeEventListener('abort', this);
  }
}

function isThenable<T>(value: PromiseLike<T> | T): value is PromiseLike<T> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as PromiseLike<T>).then === 'function';
}
