import type { ChaosTarget } from '../chaos/chaos-target';
import type { Endpoint } from '../load/stats';

/** What a scenario's fault step gets. */
export interface FaultContext {
  target: ChaosTarget;
  /** How long the fault lasts (scaled by `--short`). */
  faultMs: number;
  /** A permanent progress line, e.g. `SIGKILL likes-1`. */
  log(line: string): void;
  /** Marks a moment on the scenario's chart (`revive likes-1`). */
  mark(label: string): void;
  /** Waits `ms` (the fault's hold time: plumbing, not a correctness check). */
  hold(ms: number): Promise<void>;
  /** Random numbers in [0, 1) (injectable for specs). */
  random(): number;
  /** Records a finding of the fault step in the result (`takeover: true`, `takeoverSeconds: 11.2`). */
  note(key: string, value: Finding): void;
}

/** The value of a scenario finding. */
export type Finding = string | number | boolean | null;

/** Endpoints a scenario lets fail, and why (see the targets in docs/chaos.md). */
export interface Exemption {
  endpoints: readonly Endpoint[];
  reason: string;
}

/**
 * One chaos scenario: the runner checks the steady state, starts the load, runs {@link fault}
 * (inject, hold, end: resolves when the fault is over and everything was revived), measures the
 * recovery and reads every acknowledged write back.
 */
export interface ScenarioDefinition {
  /** `kill-one-likes`: what `failsoft scenario <name>` takes. */
  name: string;
  /** One line for people: `SIGKILL one likes instance, revive it`. */
  title: string;
  /** Endpoints whose own calls may fail during this fault (the others must stay >= 0.999). */
  exempt?: Exemption;
  /** Fault length, full and `--short` (default: the runner's). */
  faultMs?: { full: number; short: number };
  /** The durability rule the writes run with, reported with the result (partition scenarios). */
  durability?: string;
  fault(ctx: FaultContext): Promise<void>;
}
