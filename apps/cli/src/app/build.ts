import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { serviceMain } from './topology';

/** Newest modification time (ms) of the non-spec files under `path` (a file or a folder); 0 when absent. */
export function newestMtime(path: string): number {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return /\.spec\.ts$/.test(path) ? 0 : stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file shows up as a newer folder
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** The inputs a service's build depends on, relative to the workspace. */
export function buildInputs(workspace: string, service: string): string[] {
  // every library but the test harness (services never import it outside their specs)
  const libs = existsSync(join(workspace, 'libs'))
    ? readdirSync(join(workspace, 'libs'))
        .filter((lib) => lib !== 'testing')
        .map((lib) => `libs/${lib}/src`)
    : [];
  return [
    `apps/${service}/src`,
    `apps/${service}/tsconfig.app.json`,
    `apps/${service}/tsconfig.json`,
    `apps/${service}/project.json`,
    ...libs,
    'tsconfig.base.json',
    'tools/build.mjs',
  ];
}

/**
 * The services whose build (dist/apps/<svc>/.../main.js) is missing or older than one of their
 * inputs. A cheap mtime check so an up-to-date platform starts without running Nx at all; when
 * something is stale, Nx decides what really needs rebuilding (and restores from its cache).
 */
export function staleServices(workspace: string, services: readonly string[]): string[] {
  return services.filter((service) => {
    const main = join(workspace, serviceMain(service));
    if (!existsSync(main)) return true;
    const built = statSync(main).mtimeMs;
    return buildInputs(workspace, service).some((input) => newestMtime(join(workspace, input)) > built);
  });
}

/** Strips ANSI escapes. */
function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}

/**
 * One progress line for a line of `nx run-many --outputStyle=stream` output, or undefined to hide
 * it (cached tasks replay their old output unprefixed; only task starts, cache hits and finished
 * builds are shown).
 */
export function buildProgress(line: string): string | undefined {
  const task = /nx run (\S+):build(.*)$/.exec(line);
  if (task) return /cache/i.test(task[2]) ? `[build] ${task[1]}: up to date (nx cache)` : `[build] ${task[1]}: building...`;
  const done = /^(\S+): build (?:apps|libs)\/\S+: done/.exec(line);
  if (done) return `[build] ${done[1]}: built`;
  return undefined;
}

/**
 * Builds `projects` with `nx run-many -t build` (cached by Nx), printing one progress line per
 * step. Resolves on success; rejects with the tail of the output on failure.
 */
export function buildProjects(workspace: string, projects: readonly string[], log: (line: string) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const nx = join(workspace, 'node_modules', '.bin', 'nx');
    const child = spawn(nx, ['run-many', '-t', 'build', '-p', ...projects, '--outputStyle=stream'], {
      cwd: workspace,
      env: { ...process.env, NX_DAEMON: process.env['NX_DAEMON'] ?? 'false', NX_TUI: 'false', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const abort = (): void => {
      child.kill('SIGTERM');
    };
    signal?.addEventListener('abort', abort, { once: true });
    const output: string[] = [];
    let partial = '';
    const onData = (chunk: Buffer): void => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const raw of lines) {
        const line = plain(raw).trim();
        if (!line) continue;
        output.push(line);
        const progress = buildProgress(line);
        if (progress) log(progress);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('error', (error) => reject(new Error(`could not run nx (${error.message}); is the workspace installed (npm ci)?`)));
    child.on('close', (code) => {
      signal?.removeEventListener('abort', abort);
      if (signal?.aborted) reject(new Error('build interrupted'));
      else if (code === 0) resolve();
      else reject(new Error(`nx run-many -t build -p ${projects.join(' ')} failed (exit ${code}):\n${output.slice(-40).join('\n')}`));
    });
  });
}
