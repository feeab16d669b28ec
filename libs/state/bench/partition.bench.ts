// Entry point of `npm run bench:partitions` (node -r @swc-node/register libs/state/bench/partition.bench.ts):
// the lost-write checker under real network partitions, for the default durability rule and the
// previous one. Same self re-run as failover.bench.ts (for the @failsoft/* paths). Progress on
// stderr; the last stdout line is ONE line of JSON {"scenarios":[...]}.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

if (!process.env['SWC_NODE_PROJECT']) {
  const root = join(__dirname, '..', '..', '..');
  const child = spawn(process.execPath, ['-r', '@swc-node/register', __filename, ...process.argv.slice(2)], {
    cwd: root,
    env: { ...process.env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json') },
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  void import('./partition.experiment').then(({ main }) => main());
}
