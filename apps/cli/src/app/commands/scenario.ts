import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { closest, UsageError, USAGE_EXIT_CODE, type ParsedFlags } from '../args';
import type { ChaosTarget } from '../chaos/chaos-target';
import { composeChaosTarget } from '../chaos/compose-chaos-target';
import { PlatformChaosTarget } from '../chaos/platform-chaos-target';
import { controlTargetFromRunState, NoPlatformError } from '../control/control.client';
import { parseRate } from '../load/duration';
import { ProgressLine } from '../load/progress';
import { findRunningPlatform } from '../load/running-platform';
import { startPlatform, type Platform } from '../platform';
import { failsoftPaths, shortPath, STATE_DIR_ENV } from '../run-state';
import { formatTable, htmlReport, jsonLine } from '../scenario/report';
import { runScenarios } from '../scenario/run-scenarios';
import { restoreEverything, type ScenarioResult } from '../scenario/runner';
import { SCENARIOS, findScenario } from '../scenario/scenarios';
import { PARTITION_SCENARIOS } from '../scenario/partition-scenarios';
import { RELAYS_ENV } from '../local-platform/local-redis';
import type { ScenarioDefinition } from '../scenario/scenario';
import type { CliContext, Command } from './command';

/** Where `failsoft scenario` keeps the files of the platform it starts (unless FAILSOFT_STATE_DIR says otherwise). */
export const SCENARIO_STATE_DIR = '.failsoft/scenario';

/** The scenario list, one per line. */
export function scenarioList(): string[] {
  const all = [...SCENARIOS, ...PARTITION_SCENARIOS];
  const width = Math.max(...all.map((s) => s.name.length));
  return all.map((s) => `  ${s.name.padEnd(width)}  ${s.title}${s.exempt ? ` [exempt: ${s.exempt.endpoints.join(', ')}]` : ''}`);
}

/** The scenarios `name` selects. @throws UsageError naming the known ones. */
export function selectScenarios(name: string | undefined): readonly ScenarioDefinition[] {
  if (name === undefined) throw new UsageError(`failsoft scenario: name a scenario or all; scenarios: ${SCENARIOS.map((s) => s.name).join(', ')} (--list describes them)`);
  if (name === 'all') return SCENARIOS;
  if (name === 'partitions') return PARTITION_SCENARIOS;
  const found = findScenario(name) ?? PARTITION_SCENARIOS.find((s) => s.name === name);
  if (found) return [found];
  const guess = closest(name, [...SCENARIOS, ...PARTITION_SCENARIOS].map((s) => s.name));
  throw new UsageError(`failsoft scenario: unknown scenario ${JSON.stringify(name)}${guess ? ` (did you mean ${guess}?)` : ''}; scenarios: all, partitions, ${[...SCENARIOS, ...PARTITION_SCENARIOS].map((s) => s.name).join(', ')}`);
}

/** `failsoft scenario`: chaos scenarios under load, judged against the fail-soft targets. */
export const scenarioCommand: Command = {
  name: 'scenario',
  summary: 'run chaos scenarios under load (steady state, fault, recovery, lost-write check) and judge them',
  usage: 'failsoft scenario <name>|all|partitions [--short] [--json] [--html <file>] [--use-running | --compose] [--rate <per-second>] | --list',
  positionals: [{ name: 'scenario', valueName: '<name>|all|partitions', description: 'the scenario to run (failsoft scenario --list), all (without the partitions), or partitions (every redis-partition-* scenario)' }],
  details: [
    'Each scenario checks the steady state (everything healthy, the API not degraded), starts a traffic mix,',
    'injects its fault, ends it, measures the recovery, and reads every acknowledged write back. Target:',
    'availability >= 99.9% on every endpoint not exempt, 0 lost and 0 unverified acknowledged writes (each must read back',
    'cleanly within a 30 s verification window once the platform is healthy), a full recovery.',
    `Without --use-running or --compose it starts its own platform in ${SCENARIO_STATE_DIR}/ (or $${STATE_DIR_ENV}) and stops it at the end.`,
    'With --compose it runs against the `docker compose` platform of this folder (docker compose up -d --build --wait first).',
    'Exit code 0 when every target is met, 1 when one is missed, 2 on bad arguments.',
  ],
  flags: [
    { name: 'list', type: 'boolean', description: 'list the scenarios and exit' },
    { name: 'short', type: 'boolean', description: 'short durations (seconds per scenario; what CI runs)' },
    { name: 'json', type: 'boolean', description: 'end with one line of JSON: {"scenarios":[...]}' },
    { name: 'html', type: 'string', valueName: '<file>', description: 'write a self-contained HTML report (charts + table)' },
    { name: 'use-running', type: 'boolean', description: 'run against the running platform (npm start) through its control channel' },
    { name: 'compose', type: 'boolean', description: 'run against the docker compose platform of this folder (containers)' },
    { name: 'rate', type: 'string', valueName: '<per-second>', description: 'load rate (default 20, 15 with --short)' },
  ],
  async run(flags, ctx) {
    if (flags['list']) {
      ctx.io.out('Scenarios (failsoft scenario <name>|all|partitions):');
      for (const line of scenarioList()) ctx.io.out(line);
      return 0;
    }
    let request: ScenarioRequest;
    try {
      request = parseRequest(flags);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      ctx.io.err(`${error.message}\nRun 'failsoft scenario --help' for its flags.`);
      return USAGE_EXIT_CODE;
    }
    const progress = new ProgressLine(ctx.io);
    const log = (line: string): void => progress.log(line);
    const opened = await openTarget(flags, ctx, log);
    if (typeof opened === 'number') return opened;
    const { target, platform } = opened;
    const started = new Date();
    const stopOnSigint = restoreOnSigint(target, platform, log);
    try {
      const results = await runScenarios(request.scenarios, target, {
        short: flags['short'] === true,
        rate: request.rate,
        log,
        progress: (line) => progress.update(line),
        // a platform of our own runs without the per-user write rate limit; npm start's has it (30 per 10 s)
        writesPerUserPerSecond: platform ? Infinity : 2,
      });
      progress.clear();
      return report(results, flags, ctx, { htmlFile: request.htmlFile, started, url: target.url });
    } finally {
      stopOnSigint();
      if (platform) {
        log('[scenario] stopping the platform');
        await platform.stop('scenarios done');
      }
    }
  },
};

/** What to run, from the flags. */
interface ScenarioRequest {
  scenarios: readonly ScenarioDefinition[];
  rate: number | undefined;
  htmlFile: string | undefined;
}

/** @throws UsageError on an unknown scenario, a bad rate or a bad --html file name. */
function parseRequest(flags: ParsedFlags): ScenarioRequest {
  const scenarios = selectScenarios(flags['scenario'] === undefined ? undefined : String(flags['scenario']));
  const rate = flags['rate'] === undefined ? undefined : parseRate(String(flags['rate']));
  let htmlFile: string | undefined;
  if (flags['html'] !== undefined) {
    htmlFile = resolve(String(flags['html']));
    if (!/\.html?$/i.test(htmlFile)) throw new UsageError(`--html needs a file name ending in .html; got ${JSON.stringify(flags['html'])}`);
  }
  return { scenarios, rate, htmlFile };
}

/** The running platform's control channel (--use-running), or a platform of its own. @returns the exit code when there is none. */
async function openTarget(flags: ParsedFlags, ctx: CliContext, log: (line: string) => void): Promise<{ target: ChaosTarget; platform?: Platform } | number> {
  if (flags['use-running'] && flags['compose']) {
    ctx.io.err("failsoft scenario: --use-running and --compose name two different platforms; give one\nRun 'failsoft scenario --help' for its flags.");
    return USAGE_EXIT_CODE;
  }
  if (flags['compose']) {
    const target = composeChaosTarget({ cwd: ctx.workspace, env: ctx.env });
    try {
      await target.status();
    } catch (error) {
      ctx.io.err(`failsoft scenario --compose: ${(error as Error).message}`);
      return 1;
    }
    log(`[scenario] against the docker compose platform at ${target.url}`);
    return { target };
  }
  if (flags['use-running']) {
    try {
      const target = controlTargetFromRunState(failsoftPaths(ctx.workspace, ctx.env[STATE_DIR_ENV]));
      log(`[scenario] against the running platform at ${target.url}`);
      return { target };
    } catch (error) {
      if (!(error instanceof NoPlatformError)) throw error;
      ctx.io.err(`failsoft scenario --use-running: ${error.message}\n(or leave out --use-running: failsoft scenario starts its own platform)`);
      return 1;
    }
  }
  const running = findRunningPlatform(ctx.workspace, ctx.env);
  const stateDir = ctx.env[STATE_DIR_ENV] || SCENARIO_STATE_DIR;
  if (running.running) log(`[scenario] a platform runs at ${running.url}; this run starts its own in ${stateDir}/ (--use-running runs against that one instead)`);
  log(`[scenario] starting a platform for the scenarios in ${stateDir}/ ...`);
  // partition scenarios cut links between Redis nodes and sentinels: their platform puts a relay in front of each
  if (String(flags['scenario']) === 'partitions' || PARTITION_SCENARIOS.some((s) => s.name === String(flags['scenario']))) process.env[RELAYS_ENV] = 'on';
  let platform: Platform;
  try {
    platform = await startPlatform({ workspace: ctx.workspace, stateDir, frontDoorPort: 0, env: { RATE_LIMIT_WRITES: '100000' }, log: (line) => log(`[platform] ${line}`) });
  } catch (error) {
    ctx.io.err(`failsoft scenario: could not start a platform: ${(error as Error).message}\n(to use the platform npm start runs: failsoft scenario ${String(flags['scenario'])} --use-running)`);
    return 1;
  }
  log(`[scenario] platform up at ${platform.url} in ${(platform.startupMs / 1000).toFixed(1)} s (logs in ${shortPath(ctx.workspace, platform.paths.logs)}/)`);
  return { target: new PlatformChaosTarget(platform), platform };
}

/** Ctrl-C stops the own platform, or revives what the scenario broke on the running one (a second Ctrl-C exits at once). @returns the undo. */
function restoreOnSigint(target: ChaosTarget, platform: Platform | undefined, log: (line: string) => void): () => void {
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
  return () => process.off('SIGINT', onSigint);
}

/** Prints the table (and the HTML report, the JSON line); @returns 1 when a scenario missed its target. */
function report(results: ScenarioResult[], flags: ParsedFlags, ctx: CliContext, run: { htmlFile: string | undefined; started: Date; url: string }): number {
  for (const line of formatTable(results)) ctx.io.out(line);
  if (run.htmlFile) {
    mkdirSync(dirname(run.htmlFile), { recursive: true });
    const command = `failsoft scenario ${String(flags['scenario'])}${flags['short'] ? ' --short' : ''}${flags['use-running'] ? ' --use-running' : ''}${flags['compose'] ? ' --compose' : ''}`;
    writeFileSync(run.htmlFile, htmlReport(results, { command, date: run.started.toISOString(), url: run.url }));
    ctx.io.err(`[scenario] HTML report: ${shortPath(ctx.workspace, run.htmlFile)}`);
  }
  const missed = results.filter((r) => !r.met);
  ctx.io.err(missed.length ? `[scenario] ${missed.length} of ${results.length} scenarios missed their target: ${missed.map((r) => r.name).join(', ')}` : `[scenario] all ${results.length} scenarios met their target`);
  if (flags['json']) ctx.io.out(jsonLine(results, { short: flags['short'] === true, startedAt: run.started.toISOString() }));
  return missed.length ? 1 : 0;
}
