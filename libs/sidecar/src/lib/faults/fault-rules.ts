import { EventEmitter } from '../core/event';
import { InvalidOptionsError } from '../core/sidecar.error';
import { show } from '../core/validate';
import { statusName, validateFaultRule, type FaultRule, type FaultRuleInput } from './fault-rule';
import type { FaultDecision, FaultSource } from './fault-source';

/** Prefix of the status message of every injected abort (clients can tell injected faults apart). */
export const INJECTED_FAULT = 'INJECTED_FAULT';

/** Options of {@link FaultRules}. */
export interface FaultRulesOptions {
  /** Initial rules. */
  rules?: FaultRuleInput[];
  /** Random source in [0, 1) (default Math.random); inject one for exact tests. */
  random?: () => number;
}

/**
 * In-memory fault rules and their evaluator. `decide()` costs one length check when there are no
 * rules. When several rules match a call, every one rolls its own dice (delay first, then abort):
 * the longest delay applies and the first abort wins. A percentage of 100 never consumes a random
 * number; 0 never fires.
 */
export class FaultRules implements FaultSource {
  private rules: readonly FaultRule[] = [];
  private readonly random: () => number;
  private readonly changed = new EventEmitter<readonly FaultRule[]>();

  /** Fires with the new rule list whenever it changes. */
  readonly onChange = this.changed.event;

  /** @throws InvalidOptionsError on bad options or rules. */
  constructor(options: FaultRulesOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionsError(`faultRules options must be an object; got ${show(options)}`);
    if (options.random !== undefined && typeof options.random !== 'function') {
      throw new InvalidOptionsError(`faultRules.random must be a function returning a number in [0, 1); got ${show(options.random)}`);
    }
    this.random = options.random ?? Math.random;
    if (options.rules !== undefined) {
      if (!Array.isArray(options.rules)) throw new InvalidOptionsError(`faultRules.rules must be an array; got ${show(options.rules)}`);
      this.rules = dedupe(options.rules.map(validateFaultRule));
    }
  }

  /** Number of rules. */
  get size(): number {
    return this.rules.length;
  }

  /** Adds or replaces (same id) a rule; returns it normalised. @throws InvalidOptionsError */
  set(input: FaultRuleInput): FaultRule {
    const rule = validateFaultRule(input);
    const index = this.rules.findIndex((r) => r.id === rule.id);
    this.update(index < 0 ? [...this.rules, rule] : this.rules.map((r, i) => (i === index ? rule : r)));
    return rule;
  }

  /** Removes the rule `id`; true when it existed. */
  remove(id: string): boolean {
    const next = this.rules.filter((r) => r.id !== id);
    if (next.length === this.rules.length) return false;
    this.update(next);
    return true;
  }

  /** Removes every rule. */
  clear(): void {
    if (this.rules.length > 0) this.update([]);
  }

  /** Replaces every rule at once (rules are validated first); fires onChange only when something changed. */
  replaceAll(inputs: readonly (FaultRuleInput | FaultRule)[]): void {
    const next = dedupe(inputs.map((r) => validateFaultRule(r as FaultRuleInput)));
    if (!sameRules(next, this.rules)) this.update(next);
  }

  /** The rule `id`, if any. */
  get(id: string): FaultRule | undefined {
    return this.rules.find((r) => r.id === id);
  }

  /** The rules in force (expired ones left out). */
  list(): readonly FaultRule[] {
    if (this.rules.length === 0) return this.rules;
    const now = Date.now();
    return this.rules.filter((r) => r.expiresAt === undefined || r.expiresAt > now);
  }

  /** What to inject into a call to `service`/`method`; `undefined` when nothing fires. */
  decide(service: string, method: string): FaultDecision | undefined {
    const rules = this.rules;
    if (rules.length === 0) return undefined;
    let delayMs = 0;
    let abort: { code: number; message: string } | undefined;
    let fired: string[] | undefined;
    let now = 0;
    for (const rule of rules) {
      if ((rule.service !== '*' && rule.service !== service) || (rule.method !== '*' && rule.method !== method)) continue;
      if (rule.expiresAt !== undefined && rule.expiresAt <= (now ||= Date.now())) continue;
      let hit = false;
      if (rule.delayMs > 0 && this.roll(rule.delayPercent)) {
        if (rule.delayMs > delayMs) delayMs = rule.delayMs;
        hit = true;
      }
      if (abort === undefined && this.roll(rule.abortPercent)) {
        abort = { code: rule.abortCode, message: `${INJECTED_FAULT}: rule ${JSON.stringify(rule.id)} aborted ${service}/${method} with ${statusName(rule.abortCode)}` };
        hit = true;
      }
      if (hit) (fired ??= []).push(rule.id);
    }
    if (fired === undefined) return undefined;
    return abort === undefined ? { delayMs, rules: fired } : { delayMs, abort, rules: fired };
  }

  /** Forgets every rule without notifying listeners (nothing is injected afterwards). */
  shutdown(): void {
    this.rules = [];
  }

  private roll(percent: number): boolean {
    if (percent <= 0) return false;
    if (percent >= 100) return true;
    return this.random() * 100 < percent;
  }

  private update(next: readonly FaultRule[]): void {
    this.rules = Object.freeze([...next]);
    this.changed.emit(this.rules);
  }
}

/** Keeps the last rule of each id (later definitions win), in first-seen order. */
function dedupe(rules: FaultRule[]): FaultRule[] {
  const byId = new Map<string, FaultRule>();
  for (const rule of rules) byId.set(rule.id, rule);
  return [...byId.values()];
}

/** True when both lists hold the same rules (order ignored). */
function sameRules(a: readonly FaultRule[], b: readonly FaultRule[]): boolean {
  if (a.length !== b.length) return false;
  const byId = new Map(b.map((rule) => [rule.id, JSON.stringify(rule)]));
  return a.every((rule) => byId.get(rule.id) === JSON.stringify(rule));
}
