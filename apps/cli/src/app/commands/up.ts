import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { UsageError, type ParsedFlags } from '../args';
import { killLeftovers, runPlatform } from '../platform';
import { failsoftPaths, readRunState, STATE_DIR_ENV } from '../run-state';
import { DEFAULT_ZONES, FRONT_DOOR } from '../topology';
import type { CliContext, Command } from './command';

/** Set in the environment of the child that really runs the platform (see {@link runDetached}). */
export const RUNNER_ENV = 'FAILSOFT_UP_RUNNER';

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** `FRONT_DOOR_PORT` from the environment, validated like the flag. */
function frontDoorPortFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env['FRONT_DOOR_PORT'];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || value < 1 || value > 65535) throw new UsageError(`failsoft up: FRONT_DOOR_PORT must be a port number from 1 to 65535; got ${JSON.stringify(raw)}`);
  return value;
}

/** The flags back as words (to hand them to the runner child). */
function toArgv(flags: ParsedFlags): string[] {
  return Object.entries(flags).flatMap(([name, value]) => (value === true ? [`--${name}`] : value === undefined || value === false ? [] : [`--${name}=${value}`]));
}

/**
 * Runs the platform in a child that is the leader of its own process group, and forwards signals
 * to it. Why: a terminal Ctrl-C signals the whole foreground process group, and the Redis servers
 * the harness starts would die at once, before the services drained. Inside its own group the
 * runner gets exactly one signal (forwarded from here) and stops things in order: services, front
 * door, Redis. If this process dies, the runner sees its IPC channel close and stops everything.
 */
async function runDetached(flags: ParsedFlags, ctx: CliContext): Promise<number> {
  const startedAt = Math.round(Date.now() - process.uptime() * 1000);
  const child = spawn(process.execPath, [...process.execArgv, ctx.entry, 'up', ...toArgv(flags)], {
    cwd: ctx.workspace,
    env: { ...ctx.env, [RUNNER_ENV]: '1', FAILSOFT_STARTED_AT: String(startedAt) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  let last = 0;
  const forward = (signal: NodeJS.Signals): void => {
    // npm may relay the terminal's Ctrl-C a second time within milliseconds: that is one Ctrl-C
    const now = Date.now();
    if (now - last < 300) return;
    last = now;
    try {
      child.kill(signal === 'SIGHUP' ? 'SIGTERM' : signal);
    } catch {
      // already gone
    }
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward);
  try {
    const code = await new Promise<number>((resolve) => {
      child.once('error', (error) => {
        ctx.io.err(`failsoft up: could not start (${error.message})`);
        resolve(1);
      });
      child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)));
    });
    if (code !== 0) cleanUpAfter(child.pid, code, ctx);
    return code;
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    process.off('SIGHUP', forward);
  }
}

/** When the runner died without stopping (e.g. SIGKILL), kills the services and HAProxy it left behind. */
function cleanUpAfter(runnerPid: number | undefined, code: number, ctx: CliContext): void {
  try {
    const state = readRunState(failsoftPaths(ctx.workspace, ctx.env[STATE_DIR_ENV]).runState);
    if (!state || state.cliPid !== runnerPid || state.stoppedAt !== null) return;
    const killed = killLeftovers(state);
    if (killed.length) ctx.io.err(`failsoft up: the platform process ended abruptly (exit ${code}); killed the ${killed.length} processes it left behind`);
  } catch {
    // the next `failsoft up` cleans up too
  }
}

/** `failsoft up` (= `npm start`): the whole platform as local processes. */
export const upCommand: Command = {
  name: 'up',
  summary: 'start the local platform (Redis + Sentinel, 2 instances of every service, HAProxy front door)',
  usage: 'failsoft up [--front-door-port <port>] [--zones <n>] [--no-seed] [--ready-timeout <seconds>] [--log-level <level>]',
  details: [
    'Builds the services when dist/ is stale, starts Redis (1 master, 2 replicas, 3 sentinels),',
    '2 instances each of upload, likes, feed and gateway (restarted with backoff when they crash),',
    'HAProxy over the gateways, waits for /livez and /readyz, seeds demo posts and prints the URL.',
    'Logs: .failsoft/logs/<id>.log   run-state: .failsoft/run-state.json   Ctrl-C stops everything.',
  ],
  flags: [
    { name: 'front-door-port', type: 'port', valueName: '<port>', description: `port of the front door URL (default FRONT_DOOR_PORT or ${FRONT_DOOR.defaultPort}; a free one when taken)` },
    { name: 'zones', type: 'integer', min: 1, max: 26, valueName: '<n>', description: `zones the instances alternate over (default ${DEFAULT_ZONES})` },
    { name: 'no-seed', type: 'boolean', description: 'do not create the demo posts' },
    { name: 'ready-timeout', type: 'integer', min: 1, max: 3600, valueName: '<seconds>', description: 'how long to wait for every instance to be ready (default 45)' },
    { name: 'log-level', type: 'choice', choices: LOG_LEVELS, valueName: '<level>', description: 'LOG_LEVEL of every service: debug, info, warn, error (default info)' },
  ],
  async run(flags, ctx) {
    let frontDoorPort: number;
    try {
      frontDoorPort = typeof flags['front-door-port'] === 'number' ? flags['front-door-port'] : (frontDoorPortFromEnv(ctx.env) ?? FRONT_DOOR.defaultPort);
    } catch (error) {
      ctx.io.err((error as Error).message);
      return 2;
    }
    if (ctx.env[RUNNER_ENV] !== '1') return runDetached(flags, ctx);
    const startedAt = Number(ctx.env['FAILSOFT_STARTED_AT']) || Math.round(Date.now() - process.uptime() * 1000);
    return runPlatform(ctx, {
      frontDoorPort,
      zones: typeof flags['zones'] === 'number' ? flags['zones'] : DEFAULT_ZONES,
      seed: flags['no-seed'] !== true,
      readyTimeoutMs: (typeof flags['ready-timeout'] === 'number' ? flags['ready-timeout'] : 45) * 1000,
      logLevel: (flags['log-level'] as (typeof LOG_LEVELS)[number] | undefined) ?? 'info',
      startedAt,
      hasKillCommand: ctx.commandNames?.includes('kill') ?? false,
      stateDir: ctx.env[STATE_DIR_ENV],
    });
  },
};
