// Entry point of `npm run bench:platform` (node -r @swc-node/register apps/platform-e2e/src/bench/platform.bench.ts).
// @swc-node/register reads ./tsconfig.json by default, which has no @failsoft/* paths at the
// workspace root, so this file re-runs itself once with SWC_NODE_PROJECT=tsconfig.base.json (as
// bench:state does) and then loads the bench. Progress goes to stderr; the last stdout line is ONE
// line of JSON. See platform-bench.main.ts.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

if (!process.env['SWC_NODE_PROJECT']) {
  const root = join(__dirname, '..', '..', '..', '..');
  const child = spawn(process.execPath, ['-r', '@swc-node/register', __filename, ...process.argv.slice(2)], {
    cwd: root,
    env: { ...process.env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json') },
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    process.stderr.write(`bench:platform failed: could not start node: ${error.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  void import('./platform-bench.main').then(({ runPlatformBench }) => runPlatformBench());
}
