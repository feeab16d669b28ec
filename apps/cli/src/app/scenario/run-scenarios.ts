import type { ChaosTarget } from '../chaos/chaos-target';
import { runScenario, type RunOptions, type ScenarioResult } from './runner';
import type { ScenarioDefinition } from './scenario';

/**
 * Runs `scenarios` one after the other against `target`, logging one summary line each.
 * @returns every result (a scenario that throws becomes a missed result, the next one still runs).
 */
export async function runScenarios(scenarios: readonly ScenarioDefinition[], target: ChaosTarget, options: Omit<RunOptions, 'target'>): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const [i, scenario] of scenarios.entries()) {
    options.log(`[scenario ${i + 1}/${scenarios.length}] ${scenario.name}: ${scenario.title}`);
    const result = await runScenario(scenario, { ...options, target });
    results.push(result);
    options.log(`[scenario ${i + 1}/${scenarios.length}] ${summaryLine(result)}`);
  }
  return results;
}

/** `kill-one-likes: met; availability 100%, degraded 0.5%, p99 120 ms, recovery 3.2 s, lost writes 0 of 140, unverified 0`. */
export function summaryLine(r: ScenarioResult): string {
  const pct = (x: number): string => `${(Math.floor(x * 10_000) / 100).toFixed(2)}%`;
  return (
    `${r.name}: ${r.met ? 'met' : `MISSED (${r.misses.join('; ')})`}; availability ${pct(r.availability)}, degraded ${pct(r.degradedShare)}, ` +
    `p99 in fault ${r.p99Ms} ms, recovery ${r.recoverySeconds === null ? 'none' : `${r.recoverySeconds} s`}, lost writes ${r.lostAcknowledgedWrites} of ${r.acknowledgedWrites}, unverified ${r.unverifiedWrites}` +
    (r.findings ? `; findings ${Object.entries(r.findings).map(([k, v]) => `${k} ${String(v)}`).join(', ')}` : '') +
    (r.resentAfterReset ? `; resent after a reset ${r.resentAfterReset}` : '') +
    (r.errorsByCause.length ? `; errors ${r.errorsByCause.map((c) => `${c.cause} ×${c.count}`).join(', ')}` : '') +
    r.lost
      .slice(0, 3)
      .map((l) => `; LOST ${l.kind} by ${l.user} on ${l.postId}: read back ${l.seen}${l.history ? ` (last ops: ${l.history})` : ''}`)
      .join('')
  );
}
