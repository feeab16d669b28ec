import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
// The CLI's own code (apps have no import alias, hence relative imports, as in platform-e2e): the
// suite runs exactly what `failsoft scenario --short` runs, against `npm start`'s platform code.
/* eslint-disable @nx/enforce-module-boundaries */
import { PlatformChaosTarget } from '../../../cli/src/app/chaos/platform-chaos-target';
import type { ChaosTarget } from '../../../cli/src/app/chaos/chaos-target';
import type { Platform } from '../../../cli/src/app/platform';
import { startSuitePlatform } from '../../../cli/src/app/suite-platform';
import { runScenario, type ScenarioResult } from '../../../cli/src/app/scenario/runner';
import { summaryLine } from '../../../cli/src/app/scenario/run-scenarios';
import type { ScenarioDefinition } from '../../../cli/src/app/scenario/scenario';
/* eslint-enable @nx/enforce-module-boundaries */

/** The workspace root. */
export const workspace = join(__dirname, '..', '..', '..', '..');

/** Where the suite keeps its platform's files and its figures (git-ignored). */
export const suiteDir = join(workspace, 'tmp', 'chaos-e2e');

const suiteStart = Date.now();

/** A progress line on stderr, written at once (jest buffers console.*): `[chaos-e2e 12.3 s] ...`. */
export function progress(line: string): void {
  process.stderr.write(`[chaos-e2e ${((Date.now() - suiteStart) / 1000).toFixed(1)} s] ${line}\n`);
}

/** The platform the scenarios break, and its chaos target. */
export interface ScenarioPlatform {
  platform: Platform;
  target: ChaosTarget;
}

/**
 * Starts `npm start`'s platform in this process (files in tmp/chaos-e2e/scenarios/, front door on
 * a free port, the per-user write rate limit raised: the load makes hundreds of writes as three users).
 */
export async function startScenarioPlatform(): Promise<ScenarioPlatform> {
  const { platform } = await startSuitePlatform({ workspace, stateDir: join(suiteDir, 'scenarios'), progress, env: { RATE_LIMIT_WRITES: '100000' } });
  return { platform, target: new PlatformChaosTarget(platform) };
}

/** Runs one scenario with `--short` durations, printing progress and its figures (also appended to tmp/chaos-e2e/figures.jsonl). */
export async function runShortScenario(scenario: ScenarioDefinition, target: ChaosTarget): Promise<ScenarioResult> {
  let lastProgress = 0;
  const result = await runScenario(scenario, {
    target,
    short: true,
    log: progress,
    // one live line every 3 s is enough in CI logs
    progress: (line) => {
      if (Date.now() - lastProgress >= 3000) {
        lastProgress = Date.now();
        progress(line);
      }
    },
    writesPerUserPerSecond: Infinity,
    recoveryTimeoutMs: 120_000,
  });
  progress(`FIGURES ${summaryLine(result)}`);
  try {
    mkdirSync(suiteDir, { recursive: true });
    const { perSecond: _perSecond, ...figures } = result;
    appendFileSync(join(suiteDir, 'figures.jsonl'), `${JSON.stringify({ time: new Date().toISOString(), ...figures })}\n`);
  } catch {
    // figures are a convenience
  }
  return result;
}
