import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/**
 * `npm run pack:libs` (tools/pack-libs.mjs) as a maintainer runs it before publishing, into a temp
 * folder: two tarballs whose `exports` targets and CHANGELOG entry are really inside, and a refusal
 * (exit 1, a message naming the problem, no tarball) for a library whose `exports` points at a file
 * the build does not produce or whose CHANGELOG lacks the version. No registry needed.
 */
const workspace = join(__dirname, '..', '..', '..');
const script = join(workspace, 'tools', 'pack-libs.mjs');
const LIBS = ['libs/sidecar', 'libs/state'];

// two tsc builds plus npm pack: ~25 s on a quiet machine
jest.setTimeout(120_000);

interface Packed {
  readonly code: number | null;
  readonly output: string;
}

function packLibs(out: string, libs: readonly string[] = []): Packed {
  const result = spawnSync(process.execPath, [script, '--out', out, ...libs], { cwd: workspace, encoding: 'utf8' });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The targets of an `exports` map, flattened (conditions and subpaths). */
function exportTargets(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Object.values((value ?? {}) as Record<string, unknown>).flatMap(exportTargets);
}

const tarList = (tarball: string): string[] => execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
const tarRead = (tarball: string, file: string): string => execFileSync('tar', ['-xzOf', tarball, `package/${file}`], { encoding: 'utf8' });

let temp: string;
beforeAll(() => {
  temp = mkdtempSync(join(tmpdir(), 'failsoft-pack-libs-'));
});
afterAll(() => {
  if (temp) rmSync(temp, { recursive: true, force: true });
});

describe('npm run pack:libs', () => {
  it('packs @failsoft/sidecar and @failsoft/state with every exports target and the CHANGELOG entry of their version', () => {
    const out = join(temp, 'packages');
    const run = packLibs(out);
    expect({ code: run.code, output: run.code === 0 ? '' : run.output }).toEqual({ code: 0, output: '' });
    const sources = LIBS.map((lib) => JSON.parse(readFileSync(join(workspace, lib, 'package.json'), 'utf8')) as { name: string; version: string; exports: unknown });
    const expected = sources.map((s) => `${s.name.replace(/^@/, '').replace('/', '-')}-${s.version}.tgz`);
    expect(readdirSync(out).sort()).toEqual(expected.sort());
    for (const [i, source] of sources.entries()) {
      const tarball = join(out, expected[i]);
      const files = new Set(tarList(tarball));
      const targets = exportTargets(source.exports);
      expect(targets.length).toBeGreaterThanOrEqual(5);
      expect(targets.filter((t) => !files.has(`package/${t.replace(/^\.\//, '')}`))).toEqual([]);
      expect(tarRead(tarball, 'CHANGELOG.md')).toContain(`\n## ${source.version}\n`);
      expect(JSON.parse(tarRead(tarball, 'package.json'))).toMatchObject({ name: source.name, version: source.version, exports: source.exports });
    }
  });

  describe('refuses a library it cannot publish as described', () => {
    // a throwaway library inside the workspace (tools/build.mjs builds project folders only), under tmp/
    let root: string;
    let lib: string;
    beforeAll(() => {
      mkdirSync(join(workspace, 'tmp'), { recursive: true });
      root = mkdtempSync(join(workspace, 'tmp', 'pack-libs-spec-'));
      lib = relative(workspace, join(root, 'broken'));
      mkdirSync(join(workspace, lib, 'src'), { recursive: true });
      writeFileSync(join(workspace, lib, 'project.json'), JSON.stringify({ name: 'pack-libs-spec-broken', projectType: 'library' }));
      writeFileSync(
        join(workspace, lib, 'tsconfig.lib.json'),
        JSON.stringify({
          extends: join(workspace, 'tsconfig.base.json'),
          compilerOptions: { outDir: join(workspace, 'dist', lib), rootDir: '.', declaration: true, types: ['node'] },
          include: ['src/**/*.ts'],
          exclude: [], // the base config excludes tmp/
        }),
      );
      writeFileSync(join(workspace, lib, 'src', 'index.ts'), 'export const answer = 42;\n');
      writeFileSync(join(workspace, lib, 'CHANGELOG.md'), '# Changelog\n\n## 0.0.1\n\nFirst.\n');
    });
    afterAll(() => {
      rmSync(root, { recursive: true, force: true });
      rmSync(join(workspace, 'dist', relative(workspace, root)), { recursive: true, force: true });
      if (readdirSync(join(workspace, 'dist', 'tmp')).length === 0) rmSync(join(workspace, 'dist', 'tmp'), { recursive: true });
    });

    const main = { import: { types: './esm/index.d.mts', default: './esm/index.mjs' }, require: { types: './src/index.d.ts', default: './src/index.js' } };

    function writePackage(exportsMap: Record<string, unknown>, version = '0.0.1'): void {
      writeFileSync(join(workspace, lib, 'package.json'), JSON.stringify({ name: '@failsoft-spec/broken', version, main: './src/index.js', exports: exportsMap }));
    }

    it('an exports target missing from the tarball: exit 1, names the target, leaves no tarball', () => {
      writePackage({ '.': main, './extra': './src/extra.js' });
      const out = join(temp, 'broken-exports');
      const run = packLibs(out, [lib]);
      expect(run.code).toBe(1);
      expect(run.output).toContain('pack:libs: @failsoft-spec/broken: exports target ./src/extra.js is not in the tarball');
      expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    });

    it('the same library with exports that exist packs (the control of the case above)', () => {
      writePackage({ '.': main });
      const out = join(temp, 'fixed-exports');
      const run = packLibs(out, [lib]);
      expect({ code: run.code, output: run.code === 0 ? '' : run.output }).toEqual({ code: 0, output: '' });
      expect(readdirSync(out)).toEqual(['failsoft-spec-broken-0.0.1.tgz']);
    });

    it('a version without a CHANGELOG entry: exit 1 before building, naming the entry to write', () => {
      writePackage({ '.': main }, '0.0.2');
      const run = packLibs(join(temp, 'no-changelog'), [lib]);
      expect(run.code).toBe(1);
      expect(run.output).toContain(`pack:libs: ${lib}/CHANGELOG.md has no "## 0.0.2" entry`);
      expect(run.output).not.toContain('building');
    });
  });
});
