import { toContext, type CallInfo, type PolicyContext } from '../core/policy';

/**
 * Implemented by contexts whose `signal` is created lazily (creating an AbortController costs
 * microseconds, so policies create it only when somebody reads `signal`). Returns whether the
 * signal is (or would be) aborted, without creating it.
 */
export const peekAborted: unique symbol = Symbol('failsoft.peekAborted');

/** A context that can tell whether it is aborted without materialising its signal. */
interface PeekableContext extends PolicyContext {
  [peekAborted](): boolean;
}

/**
 * Like `toContext`, but hands a complete context through untouched (no allocation, and a lazily
 * created signal stays uncreated). Policies use it on their hot path.
 */
export function asPolicyContext(input?: Partial<PolicyContext> | AbortSignal): PolicyContext {
  if (input !== undefined && input !== null) {
    const candidate = input as Partial<PolicyContext>;
    if (candidate.call !== undefined && typeof candidate.deadline === 'number' && typeof candidate.attempt === 'number') {
      if (peekAborted in candidate || candidate.signal !== undefined) return candidate as PolicyContext;
    }
  }
  return toContext(input);
}

/** True when the context's signal is aborted; never creates a lazy signal to find out. */
export function isContextAborted(context: PolicyContext): boolean {
  if (peekAborted in context) return (context as PeekableContext)[peekAborted]();
  return context.signal.aborted;
}

/**
 * The context a retry hands inward for attempt `attempt`: everything else (signal, deadline, call)
 * is read through from the parent, so a lazy parent signal stays lazy.
 */
export class AttemptContext implements PolicyContext {
  /** @param parent the context of the logical call; @param attempt the attempt number (retries > 0). */
  constructor(
    readonly parent: PolicyContext,
    readonly attempt: number,
  ) {}

  /** The parent's signal. */
  get signal(): AbortSignal {
    return this.parent.signal;
  }

  /** The parent's deadline. */
  get deadline(): number {
    return this.parent.deadline;
  }

  /** The parent's call info (shared by every attempt). */
  get call(): CallInfo {
    return this.parent.call;
  }

  /** Whether the parent is aborted, without creating its signal. */
  [peekAborted](): boolean {
    return isContextAborted(this.parent);
  }
}

/** `service.method` of a call for messages, or `call` when the call is anonymous. */
export function describeCall(call: CallInfo): string {
  return call.service || call.method ? `${call.service}.${call.method}` : 'call';
}
