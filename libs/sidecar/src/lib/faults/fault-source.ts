import type { Event } from '../core/event';
import type { FaultRule } from './fault-rule';

/** What to do to one incoming call. */
export interface FaultDecision {
  /** Delay before running (or aborting) the call, in ms (0 = none). */
  readonly delayMs: number;
  /** Set when the call must be aborted instead of running. */
  readonly abort?: { readonly code: number; readonly message: string };
  /** Ids of the rules that fired. */
  readonly rules: readonly string[];
}

/** Anything the server can ask for faults: an in-memory {@link FaultRules} or a Redis-backed store. */
export interface FaultSource {
  /** What to inject into a call to `service`/`method`, or `undefined` for nothing (the common case). */
  decide(service: string, method: string): FaultDecision | undefined;
  /** The rules in force. */
  list(): readonly FaultRule[];
  /** Fires with the new rule list whenever it changes. */
  readonly onChange: Event<readonly FaultRule[]>;
}

/** True when `value` looks like a {@link FaultSource}. */
export function isFaultSource(value: unknown): value is FaultSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as FaultSource).decide === 'function' &&
    typeof (value as FaultSource).list === 'function' &&
    typeof (value as FaultSource).onChange === 'function'
  );
}
