#!/usr/bin/env node
// The `failsoft` command (`npm start` = `failsoft up`; `npm run failsoft -- <command>`).
// Runs the CLI from its build, building it first when the build is missing or older than its
// sources (tools/build.mjs apps/cli: what `nx build cli` runs, without rebuilding the libraries'
// own dist, which the CLI does not use), so a fresh checkout works with no separate build step.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const workspace = join(__dirname, '..', '..', '..');
const main = join(workspace, 'dist', 'apps', 'cli', 'apps', 'cli', 'src', 'main.js');
const inputs = ['apps/cli/src', 'libs/sidecar/src', 'libs/contracts/src', 'libs/local-runtime/src', 'apps/cli/tsconfig.app.json', 'apps/cli/tsconfig.json', 'apps/cli/project.json', 'tsconfig.base.json', 'tools/build.mjs'];

/** Newest mtime of the non-spec files under a path (0 when absent). */
function newest(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return path.endsWith('.spec.ts') ? 0 : stat.mtimeMs;
  return readdirSync(path).reduce((max, entry) => Math.max(max, newest(join(path, entry))), stat.mtimeMs);
}

const stale = !existsSync(main) || inputs.some((input) => newest(join(workspace, input)) > statSync(main).mtimeMs);
if (stale) {
  process.stderr.write('[build] building the failsoft CLI (node tools/build.mjs apps/cli)...\n');
  const run = spawnSync(process.execPath, [join(workspace, 'tools', 'build.mjs'), 'apps/cli'], { cwd: workspace, encoding: 'utf8' });
  if (run.status !== 0) {
    process.stderr.write(`${run.stdout || ''}${run.stderr || ''}\nfailsoft: building the CLI failed (exit ${run.status}${run.error ? `, ${run.error.message}` : ''}); is the workspace installed (npm ci)?\n`);
    process.exit(1);
  }
}
require(main);
