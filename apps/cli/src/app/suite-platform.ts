import { join } from 'node:path';
import { startPlatform, type Platform } from './platform';

/** Options of {@link startSuitePlatform}. */
export interface SuitePlatformOptions {
  /** The workspace root. */
  workspace: string;
  /** Folder of this platform's files (run-state, logs, control channel): give every suite its own. */
  stateDir: string;
  /** Where progress lines go (each line of the platform's own output, indented). */
  progress: (line: string) => void;
  /** Label of the progress lines (`likes`, `console`...). */
  label?: string;
  /** Extra environment of every service instance (e.g. a raised `RATE_LIMIT_WRITES`). */
  env?: Readonly<Record<string, string>>;
  /** Create the demo posts (default true). */
  seed?: boolean;
  /** Bound of the readiness wait (default 120 s: test machines are slow and shared). */
  readyTimeoutMs?: number;
  /** Run a local Prometheus (see StartPlatformOptions.prometheus; default off). */
  prometheus?: boolean | { scrapeIntervalS?: number };
  /** LOG_LEVEL of every service (default info). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/**
 * The platform of `npm start`, started in the calling process for an end-to-end suite: the same
 * code (`startPlatform`), its files in `stateDir` (never the developer's `.failsoft/`), the front
 * door on a free port, stale services built first like `npm start` does, and every line of its
 * progress passed on. Resolves with the platform and how long the start took.
 */
export async function startSuitePlatform(options: SuitePlatformOptions): Promise<{ platform: Platform; startupMs: number }> {
  const t = Date.now();
  const prefix = options.label ? `${options.label}: ` : '';
  options.progress(`${prefix}starting the platform (npm start's code, in process)...`);
  const platform = await startPlatform({
    workspace: options.workspace,
    stateDir: options.stateDir,
    frontDoorPort: 0,
    seed: options.seed ?? true,
    readyTimeoutMs: options.readyTimeoutMs ?? 120_000,
    build: true,
    env: options.env,
    prometheus: options.prometheus ?? false,
    logLevel: options.logLevel,
    log: (line) => {
      for (const l of line.split('\n')) if (l.trim()) options.progress(`  ${l.trim()}`);
    },
  });
  const startupMs = Date.now() - t;
  options.progress(`${prefix}platform up at ${platform.url} in ${(startupMs / 1000).toFixed(1)} s (logs in ${join(options.stateDir, 'logs')}/)`);
  return { platform, startupMs };
}
