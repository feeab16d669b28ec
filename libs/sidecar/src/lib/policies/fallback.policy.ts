import { EventEmitter, type Event } from '../core/event';
import type { CallInfo, IPolicy, PolicyContext, PolicyFn } from '../core/policy';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertObject, show } from '../core/validate';
import { isDegradation } from './fault';
import { asPolicyContext } from './policy-context';

/** Options of a FallbackPolicy. */
export interface FallbackOptions<R> {
  /** Produces the degraded result from the error (e.g. a cached copy, an empty list). */
  readonly fallback: (error: unknown, context: PolicyContext) => R | PromiseLike<R>;
  /**
   * Which errors get the fallback (default `isDegradation`: downstream faults and resilience
   * rejections; client errors such as INVALID_ARGUMENT or NOT_FOUND propagate unchanged).
   */
  readonly shouldHandle?: (error: unknown) => boolean;
}

/** Payload of `onFallback`. */
export interface FallbackEvent {
  /** The error replaced by the fallback. */
  readonly error: unknown;
  /** The call that was degraded. */
  readonly call: CallInfo;
}

/**
 * Serves a fallback result instead of an error (degraded but up). Usually the outermost policy,
 * and usually made per call site, since the fallback value has the call's result type: the
 * fallback must produce a value of the same type as the function it guards. An error thrown by
 * the fallback itself propagates.
 */
export class FallbackPolicy<R = unknown> implements IPolicy {
  private readonly fallback: (error: unknown, context: PolicyContext) => R | PromiseLike<R>;
  private readonly shouldHandle: (error: unknown) => boolean;
  private readonly fallbackEmitter = new EventEmitter<FallbackEvent>();

  /** Fires each time the fallback is served. */
  readonly onFallback: Event<FallbackEvent> = this.fallbackEmitter.event;

  /** @throws InvalidOptionsError naming the bad option. */
  constructor(options: FallbackOptions<R>) {
    assertObject('fallback', options);
    if (typeof options.fallback !== 'function') {
      throw new InvalidOptionsError(`fallback.fallback must be a function (error, context) => value; got ${show(options.fallback)}`);
    }
    if (options.shouldHandle !== undefined && typeof options.shouldHandle !== 'function') {
      throw new InvalidOptionsError(`fallback.shouldHandle must be a function (error) => boolean; got ${show(options.shouldHandle)}`);
    }
    this.fallback = options.fallback;
    this.shouldHandle = options.shouldHandle ?? isDegradation;
  }

  /** Runs `fn`; on a handled error resolves with the fallback's result instead. */
  execute<T>(fn: PolicyFn<T>, context?: Partial<PolicyContext> | AbortSignal): Promise<T> {
    const ctx = asPolicyContext(context);
    // No async frame on the happy path: `fn`'s result is followed with one `then`.
    let result: PromiseLike<T> | T;
    try {
      result = fn(ctx);
    } catch (error) {
      return this.handle<T>(error, ctx);
    }
    return Promise.resolve(result).then(undefined, (error: unknown) => this.handle<T>(error, ctx));
  }

  private async handle<T>(error: unknown, ctx: PolicyContext): Promise<T> {
    if (!this.shouldHandle(error)) throw error;
    if (this.fallbackEmitter.hasListeners) this.fallbackEmitter.emit({ error, call: ctx.call });
    return (await this.fallback(error, ctx)) as unknown as T;
  }
}
