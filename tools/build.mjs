#!/usr/bin/env node
// Builds one project with tsc (keeps the decorator metadata Nest needs), rewrites the
// @failsoft/* path aliases to relative requires, and copies non-TS assets (.proto, .html,
// README, package.json) next to the output, plus the SHARED_ASSETS a library ships from another
// project. Usage: node tools/build.mjs <projectRoot> [--out-dir <dir>]   (default dist/<projectRoot>)
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const workspace = join(dirname(fileURLToPath(import.meta.url)), '..');
const projectRoot = process.argv[2];
const outDirFlag = process.argv.indexOf('--out-dir');
if (!projectRoot || !existsSync(join(workspace, projectRoot, 'project.json'))) {
  console.error(`build: "${projectRoot ?? ''}" is not a project folder (expected e.g. libs/sidecar or apps/gateway)`);
  process.exit(2);
}
const isApp = projectRoot.startsWith('apps/');
const tsconfig = join(workspace, projectRoot, isApp ? 'tsconfig.app.json' : 'tsconfig.lib.json');
if (outDirFlag !== -1 && !process.argv[outDirFlag + 1]) {
  console.error('build: --out-dir needs a folder');
  process.exit(2);
}
const outDir = outDirFlag === -1 ? join(workspace, 'dist', projectRoot) : resolve(workspace, process.argv[outDirFlag + 1]);
const outDirArgs = outDirFlag === -1 ? [] : ['--outDir', outDir];
rmSync(outDir, { recursive: true, force: true });

/**
 * Files a project ships that live in another project, so the repo keeps one copy of each:
 * project root -> [source relative to the workspace, destination relative to the project's
 * output]. The sidecar loads upstream's grpc.health.v1 proto, which libs/contracts keeps (and
 * checks against grpc-proto); its package must carry it (HEALTH_PROTO_PATH looks there first).
 */
const SHARED_ASSETS = {
  'libs/sidecar': [['libs/contracts/src/proto/grpc/health/v1/health.proto', 'src/lib/health/proto/grpc/health/v1/health.proto']],
};

const bin = (name) => join(workspace, 'node_modules', '.bin', name);
console.log(`build ${projectRoot}: tsc`);
execFileSync(bin('tsc'), ['-p', tsconfig, ...outDirArgs], { stdio: 'inherit', cwd: workspace });
console.log(`build ${projectRoot}: rewriting path aliases`);
execFileSync(bin('tsc-alias'), ['-p', tsconfig, ...outDirArgs], { stdio: 'inherit', cwd: workspace });

/** Copies every asset file under `from` into `to`, keeping relative paths. */
function copyAssets(from, to) {
  if (!existsSync(from)) return;
  for (const entry of readdirSync(from)) {
    const src = join(from, entry);
    if (statSync(src).isDirectory()) {
      if (entry !== 'node_modules') copyAssets(src, join(to, entry));
    } else if (/\.(proto|html|css|svg|png|jpg|webp|gif|json|js)$/.test(entry) && !/\.(spec|d)\.|^tsconfig|^project\.json$/.test(entry) && !entry.endsWith('.ts')) {
      mkdirSync(to, { recursive: true });
      cpSync(src, join(to, entry));
    }
  }
}

/** Copies the SHARED_ASSETS of `project` into `to` (its output folder); fails if one is missing. */
function copySharedAssets(project, to) {
  for (const [from, dest] of SHARED_ASSETS[project] ?? []) {
    if (!existsSync(join(workspace, from))) {
      console.error(`build ${projectRoot}: ${from} (shipped by ${project} as ${dest}) is missing`);
      process.exit(1);
    }
    mkdirSync(dirname(join(to, dest)), { recursive: true });
    cpSync(join(workspace, from), join(to, dest));
  }
}

if (isApp) {
  // apps compile with rootDir = workspace, so libs land under dist/<app>/libs/*/src
  copyAssets(join(workspace, projectRoot, 'src'), join(outDir, projectRoot, 'src'));
  for (const lib of readdirSync(join(workspace, 'libs'))) {
    if (existsSync(join(outDir, 'libs', lib, 'src'))) {
      copyAssets(join(workspace, 'libs', lib, 'src'), join(outDir, 'libs', lib, 'src'));
      copySharedAssets(`libs/${lib}`, join(outDir, 'libs', lib));
    }
  }
} else {
  copyAssets(join(workspace, projectRoot, 'src'), join(outDir, 'src'));
  copySharedAssets(projectRoot, outDir);
  for (const file of ['README.md', 'CHANGELOG.md', 'LICENSE']) {
    if (existsSync(join(workspace, projectRoot, file))) cpSync(join(workspace, projectRoot, file), join(outDir, file));
  }
  const pkgPath = join(workspace, projectRoot, 'package.json');
  if (existsSync(pkgPath)) {
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
    const root = JSON.parse(readFileSync(join(workspace, 'package.json'), 'utf8'));
    // pin peer/runtime dependency ranges to what the workspace uses
    for (const field of ['dependencies', 'peerDependencies']) {
      for (const name of Object.keys(pkg[field] ?? {})) {
        const range = root.dependencies?.[name] ?? root.devDependencies?.[name];
        if (pkg[field][name] === '*' && range) pkg[field][name] = range;
      }
    }
    writeFileSync(join(outDir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  }
}
console.log(`build ${projectRoot}: done -> ${relative(workspace, outDir)}`);
