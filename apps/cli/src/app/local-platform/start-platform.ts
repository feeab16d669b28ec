import type { CliContext } from '../commands/command';
import { shortPath } from '../run-state';
import { FRONT_DOOR } from '../topology';
import { isAlreadyRunningError } from './leftovers';
import { LocalPlatform, type LocalPlatformOptions } from './local-platform';
import type { Platform, PlatformOptions, StartPlatformOptions } from './platform.types';

function defaults(options: StartPlatformOptions): LocalPlatformOptions {
  return {
    workspace: options.workspace,
    stateDir: options.stateDir,
    frontDoorPort: options.frontDoorPort ?? FRONT_DOOR.defaultPort,
    zones: options.zones ?? 2,
    seed: options.seed ?? true,
    readyTimeoutMs: options.readyTimeoutMs ?? 45_000,
    logLevel: options.logLevel ?? 'info',
    build: options.build ?? true,
    env: options.env,
    drainTimeoutMs: options.drainTimeoutMs,
    control: options.control ?? true,
    prometheus: options.prometheus ?? false,
    startedAt: Date.now(),
    hasKillCommand: false,
  };
}

/**
 * Starts the local platform of `npm start` from code, in this process: Redis + Sentinel, every
 * service instance under the supervisor (restarted when it dies), HAProxy, readiness, demo posts.
 * Resolves once the front door URL serves (with `requireReady`, the default, only when every
 * instance got ready: otherwise everything is stopped and the error names what was not ready).
 * A failed start undoes the steps that began, last first. Everything it started is killed if this
 * process exits without calling `stop()`.
 */
export async function startPlatform(options: StartPlatformOptions): Promise<Platform> {
  const log = options.log ?? (() => undefined);
  const platform = new LocalPlatform(defaults(options), { say: log, warn: options.warn ?? log });
  try {
    await platform.start();
  } catch (error) {
    await platform.stop('startup failed');
    throw error;
  }
  if ((options.requireReady ?? true) && platform.problems.length > 0) {
    const logs = shortPath(options.workspace, platform.paths.logs);
    await platform.stop('startup failed');
    throw new Error(`the platform did not get ready: ${platform.problems.join('; ')} (logs in ${logs}/)`);
  }
  return platform;
}

/** Stops `platform` on SIGINT/SIGTERM/SIGHUP (a second signal kills everything at once) and when the terminal goes away. @returns the undo. */
function stopOnSignals(platform: LocalPlatform, err: (line: string) => void): () => void {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      void platform.stop(signal === 'SIGINT' ? 'Ctrl-C' : signal);
      return;
    }
    err(`[stop] ${signal} again: killing everything now`);
    platform.killAllNow();
    process.exit(130); // the @failsoft/local-runtime exit hook SIGKILLs the Redis processes
  };
  const onDisconnect = (): void => void platform.stop('the failsoft up terminal went away');
  const signalNames: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const name of signalNames) process.on(name, onSignal);
  process.on('disconnect', onDisconnect);
  process.channel?.unref();
  return () => {
    for (const name of signalNames) process.off(name, onSignal);
    process.off('disconnect', onDisconnect);
  };
}

/**
 * `failsoft up` proper: builds when needed, starts Redis + Sentinel, every service instance under
 * the supervisor and the front door, waits for readiness, seeds demo posts, prints the URL, keeps
 * `.failsoft/run-state.json` current, and on SIGINT/SIGTERM stops services (drain), then the front
 * door, then Redis. A second signal kills everything at once.
 * @returns the exit code (0 after a clean stop).
 */
export async function runPlatform(ctx: CliContext, options: PlatformOptions): Promise<number> {
  const { io, workspace } = ctx;
  const { stateDir, frontDoorPort, zones, seed, readyTimeoutMs, logLevel, startedAt, hasKillCommand } = options;
  const platform = new LocalPlatform(
    { workspace, stateDir, frontDoorPort, zones, seed, readyTimeoutMs, logLevel, build: true, startedAt, hasKillCommand, prometheus: true },
    { say: (line) => io.out(line), warn: (line) => io.err(line) },
  );
  const stopListening = stopOnSignals(platform, (line) => io.err(line));
  let exitCode = 0;
  let stopped: Promise<void>;
  try {
    await platform.start();
    stopped = platform.stopped; // a signal (or the terminal going away) stops it
  } catch (error) {
    if (isAlreadyRunningError(error)) {
      io.err(error.message);
      exitCode = 1;
      stopped = Promise.resolve();
    } else if (!platform.isStopping) {
      io.err(`failsoft up: ${(error as Error).message}`);
      exitCode = 1;
      stopped = platform.stop('startup failed');
    } else {
      stopped = platform.stopped;
    }
  }
  await stopped;
  stopListening();
  return exitCode;
}
