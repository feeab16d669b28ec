import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { isProcessAlive } from '@failsoft/testing';
// The CLI's own code (apps have no import alias, hence relative imports, as in platform-e2e).
// eslint-disable-next-line @nx/enforce-module-boundaries
import type { Platform } from '../../../cli/src/app/platform';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startSuitePlatform } from '../../../cli/src/app/suite-platform';

export type { Platform };

/** The workspace root. */
export const workspace = join(__dirname, '..', '..', '..', '..');

/** Where this suite keeps its platform's files (git-ignored). */
export const commandsDir = join(workspace, 'tmp', 'chaos-e2e', 'commands');

const suiteStart = Date.now();

/** A progress line on stderr, written at once (jest buffers console.*): `[chaos-e2e commands 12.3 s] ...`. */
export function progress(line: string): void {
  process.stderr.write(`[chaos-e2e commands ${((Date.now() - suiteStart) / 1000).toFixed(1)} s] ${line}\n`);
}

/** Starts `npm start`'s platform in this process, its files (run-state, control channel) in {@link commandsDir}. */
export async function startCommandsPlatform(): Promise<Platform> {
  const { platform } = await startSuitePlatform({ workspace, stateDir: commandsDir, progress, env: { RATE_LIMIT_WRITES: '100000' } });
  return platform;
}

/** What one run of the CLI did. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs the real `failsoft` CLI (apps/cli/src/main.ts, through @swc-node/register: the sources,
 * no build step) as a child process, with FAILSOFT_STATE_DIR naming the platform to act on.
 */
export function failsoft(args: readonly string[], options: { stateDir?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  const t = Date.now();
  const register = require.resolve('@swc-node/register', { paths: [workspace] });
  const project = join(workspace, 'tsconfig.base.json');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', register, join(workspace, 'apps', 'cli', 'src', 'main.ts'), ...args], {
      cwd: workspace,
      env: { ...process.env, SWC_NODE_PROJECT: project, TS_NODE_PROJECT: project, FAILSOFT_STATE_DIR: options.stateDir ?? commandsDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`failsoft ${args.join(' ')} did not finish within ${(options.timeoutMs ?? 120_000) / 1000} s; output: ${stdout}${stderr}`));
    }, options.timeoutMs ?? 120_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const run = { code, stdout, stderr, ms: Date.now() - t };
      const lines = stdout.trim().split('\n');
      const shown = lines.length > 24 ? [...lines.slice(0, 20), `... (${lines.length - 20} more lines)`] : lines;
      progress(`$ failsoft ${args.join(' ')} → exit ${code} (${(run.ms / 1000).toFixed(1)} s)${stdout.trim() ? `\n    ${shown.join('\n    ')}` : ''}${stderr.trim() ? `\n    [stderr] ${stderr.trim().split('\n').join('\n    [stderr] ')}` : ''}`);
      resolve(run);
    });
  });
}

/** Pids of every supervised process, by id (undefined when held down). */
export function pids(platform: Platform): Record<string, number | undefined> {
  return Object.fromEntries(platform.processes().map((p) => [p.id, p.pid]));
}

/** True when every pid of `before` is still alive and every process still has it. */
export function samePids(platform: Platform, before: Record<string, number | undefined>): boolean {
  const now = pids(platform);
  return Object.entries(before).every(([id, pid]) => now[id] === pid && (pid === undefined || isProcessAlive(pid)));
}

/** A signed-in user of the public API. */
export interface ApiUser {
  token: string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
}

/** Signs `user` in at the front door (demo password). */
export async function signIn(baseUrl: string, user = 'alice'): Promise<ApiUser> {
  const call = async (method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: unknown }> => {
    try {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
      return { status: res.status, json };
    } catch (error) {
      return { status: 0, json: (error as Error).message };
    }
  };
  const signedIn = await call('POST', '/api/auth/sign-in', { user, password: 'failsoft' });
  const token = (signedIn.json as { token?: string }).token;
  if (signedIn.status !== 200 || !token) throw new Error(`sign-in as ${user} failed: ${signedIn.status} ${JSON.stringify(signedIn.json)}`);
  return { token, call: (method, path, body) => call(method, path, body, token) };
}
