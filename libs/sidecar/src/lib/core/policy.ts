import type { ServiceInstance } from './instance';

/**
 * Per-call facts shared by every layer of a policy stack (one object per logical call,
 * shared by all of its attempts).
 */
export interface CallInfo {
  /** Logical downstream service name, e.g. `likes`. */
  readonly service: string;
  /** Method name, e.g. `Like`. */
  readonly method: string;
  /** True when the call may safely run more than once (retries allowed). */
  readonly idempotent: boolean;
  /** Idempotency key carried by the call; a keyed call is retryable even when not idempotent. */
  readonly idempotencyKey?: string;
  /** Ids of the instances already attempted, in order; balancers avoid them on retries. */
  readonly tried: string[];
  /** The instance chosen for the current attempt (set by the balancing layer). */
  instance?: ServiceInstance;
}

/** What every policy hands to the function it runs. */
export interface PolicyContext {
  /** Aborted when the caller gives up or a policy (deadline, bulkhead) cancels the work. */
  readonly signal: AbortSignal;
  /** Absolute deadline in epoch milliseconds (`Date.now()` clock); `Infinity` when none. */
  readonly deadline: number;
  /** 0 for the first attempt; incremented by the retry policy. */
  readonly attempt: number;
  /** Facts about the logical call, shared by all its attempts. */
  readonly call: CallInfo;
}

/** The function a policy runs. */
export type PolicyFn<T> = (context: PolicyContext) => PromiseLike<T> | T;

/**
 * The one contract every policy implements (cockatiel style): run `fn` under the policy.
 * `context` may be a bare AbortSignal, a partial context from an outer layer, or nothing.
 */
export interface IPolicy {
  execute<T>(fn: PolicyFn<T>, context?: Partial<PolicyContext> | AbortSignal): Promise<T>;
}

const neverAborted: AbortSignal = new AbortController().signal;

/** A CallInfo for calls that are not gRPC calls (policies used alone). */
export function anonymousCall(idempotent = true): CallInfo {
  return { service: '', method: '', idempotent, tried: [] };
}

/**
 * Normalises whatever an outer layer passed into a full PolicyContext.
 * Cheap: allocates one object and reuses the caller's signal and call info.
 */
export function toContext(input?: Partial<PolicyContext> | AbortSignal): PolicyContext {
  if (input === undefined) {
    return { signal: neverAborted, deadline: Infinity, attempt: 0, call: anonymousCall() };
  }
  if (isAbortSignal(input)) {
    return { signal: input, deadline: Infinity, attempt: 0, call: anonymousCall() };
  }
  return {
    signal: input.signal ?? neverAborted,
    deadline: input.deadline ?? Infinity,
    attempt: input.attempt ?? 0,
    call: input.call ?? anonymousCall(),
  };
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return typeof value === 'object' && value !== null && 'aborted' in value && 'addEventListener' in value && !('call' in value);
}

/** A policy that runs the function as it is. */
export class NoopPolicy implements IPolicy {
  /** Runs `fn` directly with a normalised context. */
  async execute<T>(fn: PolicyFn<T>, context?: Partial<PolicyContext> | AbortSignal): Promise<T> {
    return fn(toContext(context));
  }
}

/**
 * Composes policies, outermost first: `wrap(fallback, breaker, retry).execute(fn)` runs
 * fallback → breaker → retry → fn, each layer handing its context to the next.
 */
export function wrap(...policies: IPolicy[]): IPolicy {
  if (policies.length === 0) return new NoopPolicy();
  if (policies.length === 1) return policies[0];
  return {
    execute<T>(fn: PolicyFn<T>, context?: Partial<PolicyContext> | AbortSignal): Promise<T> {
      const run = (index: number, ctx: Partial<PolicyContext> | AbortSignal | undefined): Promise<T> =>
        index === policies.length - 1
          ? policies[index].execute(fn, ctx)
          : policies[index].execute((inner) => run(index + 1, inner), ctx);
      return run(0, context);
    },
  };
}
