import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { readText, workspace } from './support/tools';

/**
 * Every link in the project's Markdown (README.md, docs/, each app's and lib's README) points to
 * a file inside the repository that exists (or to a web address): users get the repository
 * alone, never the folders beside it.
 */
const markdown = execFileSync('git', ['ls-files', '*.md', '**/*.md'], { cwd: workspace, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f !== '' && !f.includes('node_modules/'));

/** Relative link targets of a Markdown text (inline links and reference definitions), without #anchors. */
export function relativeLinks(text: string): string[] {
  const targets = [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g), ...text.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1]);
  return targets.filter((t) => !/^([a-z][a-z0-9+.-]*:|#)/i.test(t)).map((t) => t.split('#')[0]).filter((t) => t !== '');
}

it('finds the Markdown files (README.md and docs/design.md among them)', () => {
  expect(markdown).toEqual(expect.arrayContaining(['README.md', 'docs/design.md', 'docs/chaos.md']));
});

it('finds relative links, and only those (negative control)', () => {
  expect(relativeLinks('[a](../shared/DESIGN.md) [b](https://x.org/y) [c](#top) [d](docs/a.md#s)\n[e]: ./e.md')).toEqual(['../shared/DESIGN.md', 'docs/a.md', './e.md']);
});

it.each(markdown)('%s links only to files inside the repository that exist', (file) => {
  const bad = relativeLinks(readText(file)).filter((target) => {
    const path = resolve(dirname(join(workspace, file)), decodeURIComponent(target));
    return relative(workspace, path).startsWith('..') || !existsSync(path);
  });
  expect({ file, bad }).toEqual({ file, bad: [] });
});
