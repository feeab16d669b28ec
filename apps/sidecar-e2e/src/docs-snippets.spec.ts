import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
