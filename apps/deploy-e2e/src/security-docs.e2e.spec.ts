import { execFileSync } from 'node:child_process';
import { readText, workspace } from './support/tools';

/**
 * docs/security.md proves each protection by naming the spec that shows it: every `*.spec.ts`
 * it names must exist, so a renamed or moved spec cannot leave the page pointing at nothing.
 * A full path (`apps/...`, `libs/...`) must exist as written; a short name (`console.controller.spec.ts`,
 * `common/client-ip.spec.ts`) must be the end of exactly one tracked file's path.
 */
const DOC = 'docs/security.md';
const tracked = execFileSync('git', ['ls-files', '*.spec.ts'], { cwd: workspace, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f !== '');

/** The spec files named in a Markdown text: every `…spec.ts` inside backticks, deduplicated. */
export function namedSpecs(text: string): string[] {
  return [...new Set([...text.matchAll(/`([\w./-]+\.spec\.ts)`/g)].map((m) => m[1]))];
}

/** What a named spec resolves to among `files`: one path, or a reason it does not. */
export function resolveSpec(name: string, files: readonly string[]): string {
  if (/^(apps|libs)\//.test(name)) return files.includes(name) ? name : `${name}: no such file`;
  const matches = files.filter((f) => f === name || f.endsWith(`/${name}`));
  if (matches.length === 1) return matches[0];
  return matches.length === 0 ? `${name}: no such file` : `${name}: ambiguous (${matches.join(', ')})`;
}

it('finds spec names in backticks, and resolves them (negative controls)', () => {
  expect(namedSpecs('`apps/a/x.spec.ts` "does" and `y.spec.ts`; not `z.ts` nor `apps/a/x.spec.ts` twice')).toEqual(['apps/a/x.spec.ts', 'y.spec.ts']);
  const files = ['apps/a/x.spec.ts', 'apps/b/y.spec.ts', 'libs/c/y.spec.ts'];
  expect(resolveSpec('apps/a/x.spec.ts', files)).toBe('apps/a/x.spec.ts');
  expect(resolveSpec('apps/a/gone.spec.ts', files)).toBe('apps/a/gone.spec.ts: no such file');
  expect(resolveSpec('x.spec.ts', files)).toBe('apps/a/x.spec.ts');
  expect(resolveSpec('b/y.spec.ts', files)).toBe('apps/b/y.spec.ts');
  expect(resolveSpec('y.spec.ts', files)).toMatch(/ambiguous/);
});

it(`${DOC} names specs, and each of them exists`, () => {
  const names = namedSpecs(readText(DOC));
  expect(names.length).toBeGreaterThan(20);
  const bad = names.map((n) => resolveSpec(n, tracked)).filter((r) => r.includes(': '));
  expect(bad).toEqual([]);
});
