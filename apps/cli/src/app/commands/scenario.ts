import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { closest, UsageError, USAGE_EXIT_CODE } from '../args';
import type { ChaosTarget } from '../chaos/chaos-target';
import { platformChaosTarget } from '../chaos/platform-chaos-target';
import { controlTargetFromRunState, NoPlatformError } from '../control/control.client';
import { parseRate } from '../load/duration';
import { ProgressLine } from '../load/progress';
import { findRunningPlatform } from '../load/running-platform';
import { startPlatform, type Platform } from '../platform';
import { failsoftPaths, shortPath, STATE_DIR_ENV } from '../run-state';
import { formatTable, htmlReport, jsonLine } from '../scenario/report';
import { runScenarios } from '../scenario/run-scenarios';
import { restoreEverything } from '../scenario/runner';
import { SCENARIOS, findScenario } from '../scenario/scenarios';
import type { ScenarioDefinition } from '../scenario/scenario';
import type { Command } from './command';

/** Where `failsoft scenario` keeps the files of the platform it starts (unless FAILSOFT_STATE_DIR says otherwise). */
export const SCENARIO_STATE_DIR = '.failsoft/scenario';

/** The scenario list, one per line. */
export function scenarioList(): string[] {
  const width = Math.max(...SCENARIOS.map((s) => s.name.length));
  return SCENARIOS.map((s) => `  ${s.name.padEnd(width)}  ${s.title}${s.exempt ? ` [exempt: ${s.exempt.endpoints.join(', ')}]` : ''}`);
}

/** The scenarios `name` selects. @throws UsageError naming the known ones. */
export function selectScenarios(name: string | undefined): readonly ScenarioDefinition[] {
  if (name === undefined) throw new UsageError(`failsoft scenario: name a scenario or all; scenarios: ${SCENARIOS.map((s) => s.name).join(', ')} (--list describes them)`);
  if (name === 'all') return SCENARIOS;
  const found = findScenario(name);
  if (found) return [found];
  const guess = closest(name, SCENARIOS.map((s) => s.name));
  throw new UsageError(`failsoft scenario: unknown scenario ${JSON.stringify(name)}${guess ? ` (did you mean ${guess}?)` : ''}; scenarios: all, ${SCENARIOS.map((s) => s.name).join(', ')}`);
}

/** `failsoft scenario`: chaos scenarios under load, judged against the fail-soft targets. */
export const scenarioCommand: Command = {
  name: 'scenario',
  summary: 'run chaos scenarios under load (steady state, fault, recovery, lost-write check) and judge them',
  usage: 'failsoft scenario <name>|all [--short] [--json] [--html <file>] [--use-running] [--rate <per-second>] | --list',
  positionals: [{ name: 'scenario', valueName: '<name>|all', description: 'the scenario to run (failsoft scenario --list), or all' }],
  details: [
    'Each scenario checks the steady state (everything healthy, the API not degraded), starts a traffic mix,',
    'injects its fault, ends it, measures the recovery, and reads every acknowledged write back. Target:',
    'availability >= 99.9% on every endpoint not exempt, 0 lost and 0 unverified acknowledged writes (each must read back',
    'cleanly within a 30 s verification window once the platform is healthy), a full recovery.',
    `Without --use-running it starts its own platform in ${SCENARIO_STATE_DIR}/ (or $${STATE_DIR_ENV}) and stops it at the end.`,
    'Exit code 0 when every target is met, 1 when one is missed, 2 on bad arguments.',
  ],
  flags: [
    { name: 'list', type: 'boolean', description: 'list the scenarios and exit' },
    { name: 'short', type: 'boolean', description: 'short durations (seconds per scenario; what CI runs)' },
    { name: 'json', type: 'boolean', description: 'end with one line of JSON: {"scenarios":[...]}' },
    { name: 'html', type: 'string', valueName: '<file>', description: 'write a self-contained HTML report (charts + table)' },
    { name: 'use-running', type: 'boolean', description: 'run against the running platform (npm start) through its control channel' },
    { name: 'rate', type: 'string', valueName: '<per-second>', description: 'load rate (default 20, 15 with --short)' },
  ],
  async run(flags, ctx) {
    if (flags['list']) {
      ctx.io.out('Scenarios (failsoft scenario <name>|all):');
      for (const line of scenarioList()) ctx.io.out(line);
      return 0;
    }
    let scenarios: readonly ScenarioDefinition[];
    let rate: number | undefined;
    let htmlFile: string | undefined;
    try {
      scenarios = selectScenarios(flags['scenario'] === undefined ? undefined : String(flags['scenario']));
      rate = flags['rate'] === undefined ? undefined : parseRate(String(flags['rate']));
      if (flags['html'] !== undefined) {
        htmlFile = resolve(String(flags['html']));
        if (!/\.html?$/i.test(htmlFile)) throw new UsageError(`--html needs a file name ending in .html; got ${JSON.stringify(flags['html'])}`);
      }
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      ctx.io.err(`${error.message}\nRun 'failsoft scenario --help' for its flags.`);
      return USAGE_EXIT_CODE;
    }
    const progress = new ProgressLine(ctx.io);
    const log = (line: string): void => progress.log(line);
    let target: ChaosTarget;
    let platform: Platform | undefined;
    const ownPlatform = !flags['use-running'];
    if (!ownPlatform) {
      try {
        target = controlTargetFromRunState(failsoftPaths(ctx.workspace, ctx.env[STATE_DIR_ENV]));
      } catch (error) {
        if (!(error instanceof NoPlatformError)) throw error;
        ctx.io.err(`failsoft scenario --use-running: ${error.message}\n(or leave out --use-running: failsoft scenario starts its own platform)`);
        return 1;
      }
      log(`[scenario] against the running platform at ${target.url}`);
    } else {
      const running = findRunningPlatform(ctx.workspace, ctx.env);
      const stateDir = ctx.env[STATE_DIR_ENV] || SCENARIO_STATE_DIR;
      if (running.running) log(`[scenario] a platform runs at ${running.url}; this run starts its own in ${stateDir}/ (--use-running runs against that one instead)`);
      log(`[scenario] starting a platform for the scenarios in ${stateDir}/ ...`);
      try {
        platform = await startPlatform({ workspace: ctx.workspace, stateDir, frontDoorPort: 0, env: { RATE_LIMIT_WRITES: '100000' }, log: (line) => log(`[platform] ${line}`) });
      } catch (error) {
        ctx.io.err(`failsoft scenario: could not start a platform: ${(error as Error).message}\n(to use the platform npm start runs: failsoft scenario ${String(flags['scenario'])} --use-running)`);
        return 1;
      }
      target = platformChaosTarget(platform);
      log(`[scenario] platform up at ${platform.url} in ${(platform.startupMs / 1000).toFixed(1)} s (logs in ${shortPath(ctx.workspace, platform.paths.logs)}/)`);
    }
    const started = new Date();
    let interrupted = false;
    const onSigint = (): void => {
      if (interrupted) process.exit(130);
      interrupted = true;
      if (platform) {
        log('[scenario] Ctrl-C: stopping the platform (again to kill it now)');
        void platform.stop('Ctrl-C').then(() => process.exit(130));
      } else {
        log('[scenario] Ctrl-C: reviving everything the scenario broke (again to leave it as it is)');
        void restoreEverything(target, log).then(() => process.exit(130));
      }
    };
    process.on('SIGINT', onSigint);
    try {
      const results = await runScenarios(scenarios, target, {
        short: flags['short'] === true,
        rate,
        log,
        progress: (line) => progress.update(line),
        // a platform of our own runs without the per-user write rate limit; npm start's has it (30 per 10 s)
        writesPerUserPerSecond: ownPlatform ? Infinity : 2,
      });
      progress.clear();
      for (const line of formatTable(results)) ctx.io.out(line);
      if (htmlFile) {
        mkdirSync(dirname(htmlFile), { recursive: true });
        const command = `failsoft scenario ${String(flags['scenario'])}${flags['short'] ? ' --short' : ''}${flags['use-running'] ? ' --use-running' : ''}`;
        writeFileSync(htmlFile, htmlReport(results, { command, date: started.toISOString(), url: target.url }));
        ctx.io.err(`[scenario] HTML report: ${shortPath(ctx.workspace, htmlFile)}`);
      }
      const missed = results.filter((r) => !r.met);
      ctx.io.err(missed.length ? `[scenario] ${missed.length} of ${results.length} scenarios missed their target: ${missed.map((r) => r.name).join(', ')}` : `[scenario] all ${results.length} scenarios met their target`);
      if (flags['json']) ctx.io.out(jsonLine(results, { short: flags['short'] === true, startedAt: started.toISOString() }));
      return missed.length ? 1 : 0;
    } finally {
      process.off('SIGINT', onSigint);
      if (platform) {
        log('[scenario] stopping the platform');
        await platform.stop('scenarios done');
      }
    }
  },
};
