import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstShellCommands, packLibsInto, readmeInstallProblems, type PackedTarball } from './readme-install';
import { INSTALL_COMMAND, USER_APP_FIXTURE } from './user-apps';

/**
 * docs/use-in-your-nest-app.md quotes only code that the registry e2e compiles and runs: each
 * fenced TypeScript or proto block follows a `<!-- snippet: file#region -->` marker and equals that
 * region of the example app (apps/sidecar-e2e/fixtures/user-app), or the whole file.
 */
const docPath = join(__dirname, '..', '..', '..', 'docs', 'use-in-your-nest-app.md');
const doc = readFileSync(docPath, 'utf8');

/** A `// #region name` … `// #endregion name` block of a fixture file, dedented; the whole file without `#name`. */
function fixtureCode(ref: string): string {
  const [file, name] = ref.split('#');
  const text = readFileSync(join(USER_APP_FIXTURE, file), 'utf8');
  if (name === undefined) return text.replace(/\n+$/, '');
  const match = text.match(new RegExp(`// #region ${name}\\n([\\s\\S]*?)\\n\\s*// #endregion ${name}`));
  if (!match) throw new Error(`${file} has no region "${name}" (quoted by ${docPath})`);
  const lines = match[1].split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

interface Block {
  readonly lang: string;
  readonly code: string;
  readonly ref?: string;
}

function blocks(markdown: string): Block[] {
  const found: Block[] = [];
  // the marker may name where the reader writes the file (`=> src/main.ts`, see tutorial-runner.ts)
  const pattern = /(?:<!-- snippet: (\S+?)(?: => \S+)? -->\n)?```(\w*)\n([\s\S]*?)\n```/g;
  for (const m of markdown.matchAll(pattern)) found.push({ ref: m[1], lang: m[2], code: m[3] });
  return found;
}

describe('docs/use-in-your-nest-app.md', () => {
  const all = blocks(doc);

  it('quotes each TypeScript and proto snippet from the tested example app, unchanged', () => {
    const code = all.filter((b) => b.lang === 'ts' || b.lang === 'proto');
    expect(code.length).toBeGreaterThanOrEqual(6);
    for (const block of code) {
      expect({ ref: block.ref ?? '(no snippet marker)', code: block.code }).toEqual({ ref: block.ref, code: fixtureCode(block.ref as string) });
    }
  });

  it('installs with the command the registry e2e runs', () => {
    const shell = all.filter((b) => b.lang === 'bash').map((b) => b.code);
    expect(shell.some((code) => code.split('\n').includes(INSTALL_COMMAND.join(' ')))).toBe(true);
  });
});

/**
 * libs/sidecar/README.md and libs/state/README.md start with install commands that work as
 * written (the packages are not on npmjs.org): checked against the tarballs the real
 * `npm run pack:libs` writes (file names, package names and scope, the registry setting).
 */
describe('the install lines of the library READMEs', () => {
  const workspace = join(__dirname, '..', '..', '..');
  const readme = (lib: string): string => readFileSync(join(workspace, 'libs', lib, 'README.md'), 'utf8');
  let temp: string;
  let packed: PackedTarball[];

  // two tsc builds plus npm pack (~25 s on a quiet machine)
  beforeAll(() => {
    temp = mkdtempSync(join(tmpdir(), 'failsoft-readme-install-'));
    packed = packLibsInto(join(temp, 'packages'));
  }, 240_000);
  afterAll(() => {
    if (temp) rmSync(temp, { recursive: true, force: true });
  });

  it.each([
    ['sidecar', '@failsoft/sidecar'],
    ['state', '@failsoft/state'],
  ])('libs/%s/README.md: pack:libs, publish its tarballs, set the @failsoft registry, install by name or by tarball path', (lib, name) => {
    expect(packed.map((p) => p.name).sort()).toEqual(['@failsoft/sidecar', '@failsoft/state']);
    expect({ lib, problems: readmeInstallProblems(readme(lib), name, packed) }).toEqual({ lib, problems: [] });
    expect(firstShellCommands(readme(lib))?.[0]).toBe('npm run pack:libs');
  });

  it('reports README install lines that would fail (the check above can fail)', () => {
    const text = readme('sidecar');
    // the old first line: an install from npmjs.org, where the packages are not
    expect(readmeInstallProblems('```bash\nnpm install @failsoft/sidecar @failsoft/state\n```\n', '@failsoft/sidecar', packed)).toEqual([
      'the first command is "npm install @failsoft/sidecar @failsoft/state", not "npm run pack:libs" (the packages are not on npmjs.org)',
      'no "npm config set @<scope>:registry <url>" line: npm would look for the packages on npmjs.org',
      '"npm install @failsoft/sidecar @failsoft/state": @failsoft/sidecar is not published by an "npm publish" line above',
      '"npm install @failsoft/sidecar @failsoft/state": @failsoft/state is not published by an "npm publish" line above',
      'the install by path names no tarball of @failsoft/sidecar',
      'the install by path names no tarball of @failsoft/state',
    ]);
    // a tarball name pack:libs does not write (another version), a scope it does not pack
    const stale = text.replace('dist/packages/failsoft-state-0.1.0.tgz --registry', 'dist/packages/failsoft-state-9.9.9.tgz --registry').replace('npm config set @failsoft:registry', 'npm config set @acme:registry');
    expect(readmeInstallProblems(stale, '@failsoft/sidecar', packed)).toEqual([
      expect.stringContaining('failsoft-state-9.9.9.tgz is not a tarball pack:libs writes (it writes failsoft-'),
      '"npm config set @acme:registry https://npm.example.internal/": pack:libs packs @failsoft, not @acme',
      '"npm install @failsoft/sidecar @failsoft/state": @failsoft/state is not published by an "npm publish" line above',
    ]);
  });
});
