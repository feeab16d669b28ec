#!/usr/bin/env node
// Gives a built library (dist/libs/<lib>, CommonJS under src/) its ESM entry points: for every
// `exports` subpath with an `import` condition, esm/<entry>.mjs re-exports the named exports of the
// CommonJS entry (one copy of every class and injection token whether the app requires or imports:
// no dual-package hazard), and esm/<entry>.d.mts re-exports its types.
// Usage: node tools/esm-wrappers.mjs libs/sidecar   (after node tools/build.mjs libs/sidecar)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const workspace = join(dirname(fileURLToPath(import.meta.url)), '..');
const projectRoot = process.argv[2];
const outDir = join(workspace, 'dist', projectRoot ?? '');
if (!projectRoot || !existsSync(join(outDir, 'package.json'))) {
  console.error(`esm-wrappers: dist/${projectRoot ?? ''}/package.json is missing: build first (node tools/build.mjs ${projectRoot ?? 'libs/<name>'})`);
  process.exit(2);
}
const pkg = JSON.parse(readFileSync(join(outDir, 'package.json'), 'utf8'));
// resolve the peers (@nestjs/*, ioredis, ...) from the workspace while reading the export names
const requireFromWorkspace = createRequire(join(workspace, 'package.json'));
let written = 0;
for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
  if (typeof target !== 'object' || target.import === undefined) continue;
  const cjs = target.require?.default;
  const esm = target.import.default;
  const esmTypes = target.import.types;
  if (!cjs || !esm || !esmTypes) {
    console.error(`esm-wrappers: exports["${subpath}"] needs require.default, import.default and import.types`);
    process.exit(2);
  }
  const cjsPath = join(outDir, cjs);
  const names = Object.keys(requireFromWorkspace(cjsPath)).filter((n) => n !== '__esModule' && n !== 'default').sort();
  if (names.length === 0) {
    console.error(`esm-wrappers: ${relative(workspace, cjsPath)} exports nothing`);
    process.exit(2);
  }
  const esmPath = join(outDir, esm);
  mkdirSync(dirname(esmPath), { recursive: true });
  const fromEsm = relative(dirname(esmPath), cjsPath).replace(/\\/g, '/');
  const spec = fromEsm.startsWith('.') ? fromEsm : `./${fromEsm}`;
  writeFileSync(
    esmPath,
    `// ESM entry of ${pkg.name}${subpath === '.' ? '' : subpath.slice(1)}: the named exports of the CommonJS build (one instance of each).\n` +
      `import cjs from '${spec}';\n\nexport const {\n${names.map((n) => `  ${n},`).join('\n')}\n} = cjs;\n`,
  );
  const typesFrom = spec.replace(/\.js$/, '.js');
  writeFileSync(join(outDir, esmTypes), `export * from '${typesFrom}';\n`);
  written++;
  console.log(`esm-wrappers ${projectRoot}: ${subpath} -> ${esm} (${names.length} names)`);
}
if (written === 0) {
  console.error(`esm-wrappers: ${projectRoot}/package.json has no exports entry with an "import" condition`);
  process.exit(2);
}
