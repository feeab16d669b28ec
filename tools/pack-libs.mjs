#!/usr/bin/env node
// `npm run pack:libs`: builds the installable libraries (CommonJS + ESM entry points) and packs
// each into dist/packages/<scope>-<name>-<version>.tgz, ready for `npm publish <tgz>` (never run
// from CI). Checks before packing: every dependency range written by hand (no "*"), a CHANGELOG
// entry for the version, every `exports` target present in the tarball.
// Usage: node tools/pack-libs.mjs [--out <dir>] [libs/sidecar libs/state]   (default out: dist/packages;
// the folder is emptied first). Tested by apps/sidecar-e2e/src/pack-libs.spec.ts.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKED_LIBS = ['libs/sidecar', 'libs/state'];
const workspace = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outFlag = args.indexOf('--out');
if (outFlag !== -1 && (!args[outFlag + 1] || args[outFlag + 1].startsWith('--'))) {
  console.error('pack:libs: --out needs a folder');
  process.exit(2);
}
const destination = outFlag === -1 ? join(workspace, 'dist', 'packages') : resolve(args[outFlag + 1]);
const positional = outFlag === -1 ? args : args.filter((_, i) => i !== outFlag && i !== outFlag + 1);
const libs = positional.length > 0 ? positional : PACKED_LIBS;

function fail(message) {
  console.error(`pack:libs: ${message}`);
  process.exit(1);
}

/** The targets of an `exports` map, flattened (conditions and subpaths). */
function exportTargets(value) {
  if (typeof value === 'string') return [value];
  return Object.values(value ?? {}).flatMap(exportTargets);
}

// the folder is emptied: refuse one holding anything but tarballs (a mistyped --out must not delete a tree)
if (existsSync(destination)) {
  const foreign = readdirSync(destination).filter((name) => !name.endsWith('.tgz'));
  if (foreign.length > 0) fail(`--out ${relative(workspace, destination) || '.'} holds files other than tarballs (${foreign.slice(0, 3).join(', ')}): give an empty or new folder`);
}
rmSync(destination, { recursive: true, force: true });
mkdirSync(destination, { recursive: true });
const started = Date.now();
for (const lib of libs) {
  if (!existsSync(join(workspace, lib, 'package.json'))) fail(`${lib}/package.json is missing: give library folders relative to the workspace (e.g. libs/sidecar)`);
  const source = JSON.parse(readFileSync(join(workspace, lib, 'package.json'), 'utf8'));
  for (const field of ['dependencies', 'peerDependencies']) {
    for (const [name, range] of Object.entries(source[field] ?? {})) {
      if (range === '*' || range === '') fail(`${lib}/package.json ${field}.${name} is "${range}": write the tested range by hand`);
    }
  }
  const changelog = join(workspace, lib, 'CHANGELOG.md');
  if (!existsSync(changelog) || !readFileSync(changelog, 'utf8').includes(`## ${source.version}`)) {
    fail(`${lib}/CHANGELOG.md has no "## ${source.version}" entry: describe the release before packing it`);
  }
  console.log(`pack:libs ${source.name}@${source.version}: building (CommonJS + ESM)`);
  for (const step of ['build.mjs', 'esm-wrappers.mjs']) {
    try {
      execFileSync(process.execPath, [join(workspace, 'tools', step), lib], { stdio: ['ignore', step === 'build.mjs' ? 'ignore' : 'inherit', 'inherit'], cwd: workspace });
    } catch {
      fail(`${lib}: tools/${step} failed (its errors are above); nothing packed for ${source.name}`);
    }
  }
  const out = join(workspace, 'dist', lib);
  const packed = JSON.parse(execFileSync('npm', ['pack', out, '--pack-destination', destination, '--json', '--loglevel=error'], { cwd: workspace, encoding: 'utf8' }))[0];
  const files = new Set(packed.files.map((f) => f.path));
  for (const target of exportTargets(source.exports)) {
    if (!files.has(target.replace(/^\.\//, ''))) {
      rmSync(join(destination, packed.filename), { force: true });
      fail(`${source.name}: exports target ${target} is not in the tarball (${packed.filename}; check ${lib}/package.json "exports" and "files")`);
    }
  }
  console.log(`pack:libs ${source.name}@${source.version}: ${relative(workspace, join(destination, packed.filename))} (${packed.entryCount} files, ${(packed.size / 1024).toFixed(0)} KiB packed)`);
}
console.log(`pack:libs: ${libs.length} package(s) in ${relative(workspace, destination)} in ${((Date.now() - started) / 1000).toFixed(1)} s; publish with \`npm publish ${relative(workspace, destination)}/<file>.tgz\` (see docs/use-in-your-nest-app.md)`);
