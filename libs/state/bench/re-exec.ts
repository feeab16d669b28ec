// The shared preamble of the state benches (failover.bench.ts, partition.bench.ts).
// @swc-node/register reads ./tsconfig.json by default, which has no @failsoft/* paths at the
// workspace root, so an entry point re-runs itself once with SWC_NODE_PROJECT=tsconfig.base.json
// (signals forwarded, exit code passed on) and only then loads its experiment.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * Runs `experiment` when the @failsoft/* paths are available; otherwise re-runs `entry` (the
 * caller's `__filename`) under tsconfig.base.json and exits with its code.
 */
export function runWithWorkspacePaths(entry: string, experiment: () => Promise<{ main: () => Promise<void> }>): void {
  if (process.env['SWC_NODE_PROJECT']) {
    void experiment().then(({ main }) => main());
    return;
  }
  const root = join(__dirname, '..', '..', '..');
  const child = spawn(process.execPath, ['-r', '@swc-node/register', entry, ...process.argv.slice(2)], {
    cwd: root,
    env: { ...process.env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json') },
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
