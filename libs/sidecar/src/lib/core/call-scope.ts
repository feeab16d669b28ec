import { AsyncLocalStorage } from 'node:async_hooks';

/** W3C trace context of the current call. */
export interface TraceContext {
  /** 32 lowercase hex chars. */
  readonly traceId: string;
  /** 16 lowercase hex chars: the span of the current unit of work. */
  readonly spanId: string;
  /** Trace flags (bit 0 = sampled). */
  readonly flags: number;
}

/**
 * What a server handler knows about the call it is serving; read by the client so that
 * downstream calls inherit the remaining deadline and the trace.
 */
export interface CallScope {
  /** Absolute deadline in epoch ms of the incoming call; `Infinity` when none. */
  readonly deadline: number;
  /** Trace context of the incoming call (a child span is created per outgoing call). */
  readonly trace?: TraceContext;
  /** Authenticated caller identity (service name or certificate subject). */
  readonly caller?: string;
  /** Aborted when the incoming call is cancelled by its client or its deadline passes. */
  readonly signal?: AbortSignal;
}

const storage = new AsyncLocalStorage<CallScope>();

/** Runs `fn` with `scope` as the current call scope. */
export function runInCallScope<T>(scope: CallScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The scope of the call being served right now, if any. */
export function currentCallScope(): CallScope | undefined {
  return storage.getStore();
}
