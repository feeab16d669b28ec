import { EventEmitter, type Event } from '../core/event';
import type { CallInfo, IPolicy, PolicyContext, PolicyFn } from '../core/policy';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, assertObject, show } from '../core/validate';
import { ExponentialBackoff, isBackoff, type Backoff, type BackoffOptions } from './backoff';
import { isRetryableError } from './fault';
import { AttemptContext, asPolicyContext, isContextAborted } from './policy-context';
import { RetryBudget } from './retry-budget';

/** Options of a RetryPolicy. */
export interface RetryOptions {
  /** Total attempts including the first (integer 1 … 10, default 3). */
  readonly maxAttempts?: number;
  /** Delay between attempts: a Backoff or ExponentialBackoff options (default: full jitter, 50 ms … 2 s). */
  readonly backoff?: Backoff | BackoffOptions;
  /** Shared budget capping retries to a ratio of live traffic (recommended: one per downstream). */
  readonly budget?: RetryBudget;
  /** Which errors may be retried (default `isRetryableError`: UNAVAILABLE, RESOURCE_EXHAUSTED, per-instance rejections). */
  readonly isRetryable?: (error: unknown, context: PolicyContext) => boolean;
}

/** Why the retry policy stopped and raised the last error. */
export type GiveUpReason = 'not-retryable' | 'not-idempotent' | 'max-attempts' | 'aborted' | 'deadline' | 'budget';

/** Payload of `onRetry`. */
export interface RetryEvent {
  /** Attempt number about to run (1 for the first retry). */
  readonly attempt: number;
  /** Pause before it, in ms. */
  readonly delayMs: number;
  /** The error of the previous attempt. */
  readonly error: unknown;
  /** The call being retried. */
  readonly call: CallInfo;
}

/** Payload of `onGiveUp`. */
export interface GiveUpEvent {
  /** Attempts made. */
  readonly attempts: number;
  /** Why no further attempt is made. */
  readonly reason: GiveUpReason;
  /** The error raised to the caller (the last attempt's). */
  readonly error: unknown;
  /** The call. */
  readonly call: CallInfo;
}

/** Payload of `onBudgetExhausted`. */
export interface BudgetExhaustedEvent {
  /** Attempts made. */
  readonly attempts: number;
  /** The error that would have been retried. */
  readonly error: unknown;
  /** The call. */
  readonly call: CallInfo;
}

/**
 * Retries a failed call when, and only when:
 * (a) the error is retryable (`isRetryable`), (b) the call is idempotent or carries an idempotency
 * key, (c) attempts remain, (d) the signal is not aborted, (e) the backoff delay still fits before
 * the deadline, and (f) the retry budget has a token.
 *
 * Each attempt gets a context with `attempt` incremented; `call.tried` is left to the balancing
 * layer (it lists the instances already tried, so a retry goes elsewhere). When giving up, the last
 * error is raised unchanged, so callers see the real gRPC status.
 */
export class RetryPolicy implements IPolicy {
  /** Total attempts including the first. */
  readonly maxAttempts: number;
  /** The backoff in use. */
  readonly backoff: Backoff;
  /** The budget in use, if any. */
  readonly budget: RetryBudget | undefined;
  private readonly isRetryable: (error: unknown, context: PolicyContext) => boolean;
  private readonly retryEmitter = new EventEmitter<RetryEvent>();
  private readonly giveUpEmitter = new EventEmitter<GiveUpEvent>();
  private readonly budgetEmitter = new EventEmitter<BudgetExhaustedEvent>();

  /** Fires before each retry (after the backoff delay was chosen). */
  readonly onRetry: Event<RetryEvent> = this.retryEmitter.event;
  /** Fires when a failed call is not retried further. */
  readonly onGiveUp: Event<GiveUpEvent> = this.giveUpEmitter.event;
  /** Fires when a retry was refused by the budget. */
  readonly onBudgetExhausted: Event<BudgetExhaustedEvent> = this.budgetEmitter.event;

  /** @throws InvalidOptionsError naming the bad option. */
  constructor(options: RetryOptions = {}) {
    assertObject('retry', options);
    this.maxAttempts = assertNumber('retry.maxAttempts', options.maxAttempts ?? 3, 1, 10, true);
    const backoff = options.backoff;
    if (backoff === undefined) this.backoff = new ExponentialBackoff();
    else if (isBackoff(backoff)) this.backoff = backoff;
    else if (typeof backoff === 'object' && backoff !== null && !Array.isArray(backoff)) this.backoff = new ExponentialBackoff(backoff);
    else throw new InvalidOptionsError(`retry.backoff must be a Backoff or backoff options; got ${show(backoff)}`);
    if (options.budget !== undefined && !(options.budget instanceof RetryBudget)) {
      throw new InvalidOptionsError(`retry.budget must be a RetryBudget; got ${show(options.budget)}`);
    }
    this.budget = options.budget;
    if (options.isRetryable !== undefined && typeof options.isRetryable !== 'function') {
      throw new InvalidOptionsError(`retry.isRetryable must be a function (error, context) => boolean; got ${show(options.isRetryable)}`);
    }
    this.isRetryable = options.isRetryable ?? isRetryableError;
  }

  /** Runs `fn`, retrying it as described on the class. */
  execute<T>(fn: PolicyFn<T>, context?: Partial<PolicyContext> | AbortSignal): Promise<T> {
    const ctx = asPolicyContext(context);
    this.budget?.recordRequest();
    // First attempt without an async frame; only a failure enters the retry loop.
    let first: PromiseLike<T> | T;
    try {
      first = fn(ctx);
    } catch (error) {
      return this.retry(fn, ctx, error);
    }
    return Promise.resolve(first).then(undefined, (error: unknown) => this.retry(fn, ctx, error));
  }

  /** The attempts after the first one failed with `firstError`. */
  private async retry<T>(fn: PolicyFn<T>, ctx: PolicyContext, firstError: unknown): Promise<T> {
    let error = firstError;
    let attempts = 0;
    let previousDelay = 0;
    for (;;) {
      attempts++;
      const delay = this.nextDelay(error, ctx, attempts, previousDelay);
      if (delay < 0) throw error;
      if (delay > 0 && !(await sleep(delay, ctx))) {
        this.giveUp(attempts, 'aborted', error, ctx);
        throw error;
      }
      previousDelay = delay;
      try {
        return await fn(new AttemptContext(ctx, ctx.attempt + attempts));
      } catch (next) {
        error = next;
      }
    }
  }

  /** Delay before the next attempt, or -1 to give up (events emitted here). */
  private nextDelay(error: unknown, ctx: PolicyContext, attempts: number, previousDelay: number): number {
    const call = ctx.call;
    if (!this.isRetryable(error, ctx)) return this.giveUp(attempts, 'not-retryable', error, ctx);
    if (!call.idempotent && !call.idempotencyKey) return this.giveUp(attempts, 'not-idempotent', error, ctx);
    if (attempts >= this.maxAttempts) return this.giveUp(attempts, 'max-attempts', error, ctx);
    if (isContextAborted(ctx)) return this.giveUp(attempts, 'aborted', error, ctx);
    const delay = Math.max(0, this.backoff.delay(attempts, previousDelay));
    if (Date.now() + delay >= ctx.deadline) return this.giveUp(attempts, 'deadline', error, ctx);
    if (this.budget !== undefined && !this.budget.tryWithdraw()) {
      if (this.budgetEmitter.hasListeners) this.budgetEmitter.emit({ attempts, error, call });
      return this.giveUp(attempts, 'budget', error, ctx);
    }
    if (this.retryEmitter.hasListeners) this.retryEmitter.emit({ attempt: attempts, delayMs: delay, error, call });
    return delay;
  }

  private giveUp(attempts: number, reason: GiveUpReason, error: unknown, ctx: PolicyContext): number {
    if (this.giveUpEmitter.hasListeners) this.giveUpEmitter.emit({ attempts, reason, error, call: ctx.call });
    return -1;
  }
}

/** Waits `ms` (unref'd timer); resolves false early when the context aborts. */
function sleep(ms: number, ctx: PolicyContext): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const signal = ctx.signal;
    if (signal.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    timer.unref?.();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
