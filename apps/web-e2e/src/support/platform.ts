import { join } from 'node:path';
// The platform of `npm start` (apps/cli), started in this process: the suite runs exactly the code
// users run. Apps have no import alias, hence the one relative import of the suite (as platform-e2e).
// eslint-disable-next-line @nx/enforce-module-boundaries
import type { Platform } from '../../../cli/src/app/platform';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startSuitePlatform } from '../../../cli/src/app/suite-platform';
import { workspace } from './browser';

export type { Platform };

/** Where the suite keeps its platforms' files (git-ignored): `tmp/web-e2e/<name>/`. */
export const suiteDir = join(workspace, 'tmp', 'web-e2e');

const suiteStart = Date.now();

/**
 * A progress line on stderr, written directly (jest buffers console.* until a test file ends):
 * `[web-e2e 12.3 s] ...`.
 */
export function progress(line: string): void {
  process.stderr.write(`[web-e2e ${((Date.now() - suiteStart) / 1000).toFixed(1)} s] ${line}\n`);
}

/**
 * Environment of every service of the suite's platform: the per-user write limit is raised (the
 * suite writes quickly on purpose; rate limiting has its own tests in the gateway).
 */
export const WEB_SUITE_ENV: Readonly<Record<string, string>> = Object.freeze({ RATE_LIMIT_WRITES: '100000', RATE_LIMIT_WINDOW_MS: '10000' });

/**
 * Starts the platform of `npm start` in this process (same code: `startPlatform` of apps/cli), with
 * its files in tmp/web-e2e/<name>/ (never the developer's .failsoft/), the front door on a free
 * port and the demo posts seeded; builds stale services first like `npm start`. `env` adds to
 * {@link WEB_SUITE_ENV} (e.g. `{ UPLOAD_MAX_BYTES: '262144' }`). Stop it with `platform.stop()`.
 */
export async function startWebPlatform(name: string, env: Readonly<Record<string, string>> = {}): Promise<Platform> {
  if (!/^[a-z0-9-]{1,40}$/.test(name)) throw new Error(`platform name "${name}" must be 1-40 lower-case letters, digits or "-"`);
  const { platform } = await startSuitePlatform({ workspace, stateDir: join(suiteDir, name), label: name, progress, env: { ...WEB_SUITE_ENV, ...env }, readyTimeoutMs: 90_000 });
  return platform;
}

/** Stops `platform` (if it started), logging how long it took. */
export async function stopWebPlatform(platform: Platform | undefined): Promise<void> {
  if (!platform) return;
  const t = Date.now();
  await platform.stop('end of the spec file');
  progress(`platform stopped in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
