import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The built packages' two entry points are one library: `import` (esm/*.mjs) exposes exactly the
 * names `require` (src/*.js) does, bound to the same objects (a class or an injection token loaded
 * both ways is one value: no dual-package hazard for Nest's DI).
 */
const workspace = join(__dirname, '..', '..', '..');

function compare(lib: string, entry: 'index' | 'nest'): { names: number; missing: string[]; different: string[] } {
  const base = join(workspace, 'dist', 'libs', lib);
  const script = `
    import * as esm from ${JSON.stringify(join(base, 'esm', `${entry}.mjs`))};
    import { createRequire } from 'node:module';
    const cjs = createRequire(import.meta.url)(${JSON.stringify(join(base, 'src', `${entry}.js`))});
    const names = Object.keys(cjs).filter((n) => n !== '__esModule');
    console.log(JSON.stringify({ names: names.length, missing: names.filter((n) => !(n in esm)), different: names.filter((n) => n in esm && esm[n] !== cjs[n]) }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: workspace, encoding: 'utf8' }));
}

describe.each([['sidecar'], ['state']])('@failsoft/%s entry points', (lib) => {
  it.each([['index'], ['nest']] as const)('%s: import gives the same named exports, the same objects, as require', (entry) => {
    const result = compare(lib, entry);
    expect(result.names).toBeGreaterThan(0);
    expect({ missing: result.missing, different: result.different }).toEqual({ missing: [], different: [] });
  });

  it('declares every dependency range by hand (no "*") and a CHANGELOG entry for its version', () => {
    const pkg = JSON.parse(readFileSync(join(workspace, 'dist', 'libs', lib, 'package.json'), 'utf8')) as Record<string, Record<string, string> | string>;
    const ranges = { ...(pkg['dependencies'] as Record<string, string>), ...(pkg['peerDependencies'] as Record<string, string>) };
    expect(Object.entries(ranges).filter(([, range]) => range === '*' || range === '')).toEqual([]);
    expect(readFileSync(join(workspace, 'dist', 'libs', lib, 'CHANGELOG.md'), 'utf8')).toContain(`## ${pkg['version'] as string}`);
  });
});
