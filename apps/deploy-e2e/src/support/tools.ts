import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The workspace root (apps/deploy-e2e/src/support -> ../../../..). */
export const workspace = join(__dirname, '..', '..', '..', '..');

/** Reads a workspace file as text. */
export function readText(relativePath: string): string {
  return readFileSync(join(workspace, relativePath), 'utf8');
}

/** How to get each external tool these checks use. */
export const INSTALL_HINTS = {
  'docker-compose': 'apt-get install docker-compose (Debian\'s Compose 1.29; `.ci/run` installs it)',
  kubectl:
    'a kubectl whose `kubectl kustomize` supports kustomize components (kubectl 1.21 or newer; see README.md, "Deploying"). ' +
    'Debian 12\'s kubernetes-client package is kubectl 1.20 and is too old',
  haproxy: 'apt-get install haproxy (`.ci/run` installs it)',
  'redis-server': 'apt-get install redis-server (`.ci/run` installs it)',
} as const;

/** Absolute path of `name` on PATH (plus the sbin folders Debian uses), or undefined. */
export function findTool(name: string, searchPath: string = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of [...searchPath.split(delimiter).filter(Boolean), '/usr/sbin', '/usr/local/sbin']) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Like {@link findTool}, but throws a message saying what to install when the tool is missing. */
export function requireTool(name: keyof typeof INSTALL_HINTS): string {
  const found = findTool(name);
  if (!found) throw new Error(`${name} is not installed on this machine; these deployment checks need it. Install ${INSTALL_HINTS[name]}.`);
  return found;
}

/** Runs a command in the workspace and returns its result (never throws for a non-zero exit). */
export function run(command: string, args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    cwd: workspace,
    encoding: 'utf8',
    input: options.input,
    env: options.env ?? process.env,
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Formats a finished command for an assertion message. */
export function describeRun(what: string, result: SpawnSyncReturns<string>): string {
  const reason = result.error ? `failed to run (${result.error.message})` : `exited ${result.status ?? `on ${result.signal}`}`;
  return `${what} ${reason}\n${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
}
