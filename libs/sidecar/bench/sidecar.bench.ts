/**
 * Entry point of `npm run bench:sidecar` (node -r @swc-node/register libs/sidecar/bench/sidecar.bench.ts):
 * raw @grpc/grpc-js unary calls vs the same calls through the full sidecar client stack, at
 * concurrency 1 and 64 on loopback, plus the policy stack's in-process cost. See
 * sidecar-bench.main.ts for the method. Progress goes to stderr; the human table and, LAST, one
 * line of JSON go to stdout. Exit 0 whether or not the targets are met; 1 on a real failure.
 *
 * @swc-node/register reads ./tsconfig.json by default, and the workspace root has none (so no
 * @failsoft/* paths and an ES2018 target): this file re-runs itself once with
 * SWC_NODE_PROJECT=tsconfig.base.json (as the platform's processes run) and then loads the bench.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

if (!process.env['SWC_NODE_PROJECT']) {
  const root = join(__dirname, '..', '..', '..');
  const child = spawn(process.execPath, [...process.execArgv, __filename, ...process.argv.slice(2)], {
    cwd: root,
    env: { ...process.env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json') },
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    process.stderr.write(`bench:sidecar failed: could not start node: ${error.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  void import('./sidecar-bench.main')
    .then(({ main }) => main())
    .then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`bench:sidecar failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
}
