import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from '@failsoft/testing';
import { parseTutorial, runTutorial, type CommandResult, type TutorialRunOptions } from './tutorial-runner';
import { USER_APP_FIXTURE } from './user-apps';

/**
 * The tutorial runner can fail: a copy of the real page with a wrong package name in its first
 * shell block fails naming that block and command; a block in a language it cannot run, a
 * malformed marker, a `# prints:` the output contradicts, a server that dies before it is ready
 * and a replacement the page no longer needs fail too. The same conventions pass when they hold
 * (cwd carried across commands, the curl lines by curl and by fetch).
 */
const docName = 'docs/use-in-your-nest-app.md';
const doc = readFileSync(join(__dirname, '..', '..', '..', docName), 'utf8');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'failsoft-tutorial-runner-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function options(extra: Partial<TutorialRunOptions> = {}): TutorialRunOptions & { ran: CommandResult[] } {
  const ran: CommandResult[] = [];
  return { docName: 'copy of the doc', dir, fixture: USER_APP_FIXTURE, onCommand: (c) => ran.push(c), ran, ...extra };
}

describe('the tutorial runner, on the real page', () => {
  it('classifies every fenced block: shell blocks with commands (one server), snippets with their file', () => {
    const blocks = parseTutorial(doc, docName);
    const shell = blocks.filter((b) => b.kind === 'shell');
    expect(shell.length).toBeGreaterThanOrEqual(5);
    expect(shell.filter((b) => b.readyText !== undefined).map((b) => b.readyText)).toEqual(['LISTENING']);
    expect(shell[0].commands[0]).toMatch(/^npx @nestjs\/cli@11 new my-app /);
    // the files the reader writes, in the order the page asks for them
    expect([...new Set(blocks.flatMap((b) => (b.target ? [b.target] : [])))]).toEqual(['greeter.proto', 'src/greeter.ts', 'src/app.module.ts', 'src/farewell.ts', 'src/main.ts']);
  });

  it('fails on a wrong package name in the first shell block, naming the block and the command', async () => {
    const broken = doc.replace('npx @nestjs/cli@11 new', 'npx @nestjs/cli-failsoft-no-such-package@11 new');
    expect(broken).not.toBe(doc);
    const opts = options({ env: { npm_config_update_notifier: 'false' } });
    await expect(runTutorial(broken, opts)).rejects.toThrow(
      /copy of the doc block 1 \(line \d+, ```bash\): `npx @nestjs\/cli-failsoft-no-such-package@11 new my-app .*` failed \(exit \d+\)[\s\S]*(404|E404)/,
    );
    expect(opts.ran).toEqual([]);
  }, 120_000);

  it('refuses a block it cannot run before running anything', async () => {
    const opts = options();
    await expect(runTutorial(`${doc}\n\`\`\`powershell\nGet-ChildItem\n\`\`\`\n`, opts)).rejects.toThrow(/block \d+ \(line \d+, ```powershell\) is neither a shell block the tutorial test runs/);
    await expect(runTutorial('```\nls\n```\n', opts)).rejects.toThrow(/block 1 \(line 1, ```\) is neither a shell block/);
    await expect(runTutorial('```ts\nconst x = 1;\n```\n', opts)).rejects.toThrow(/block 1 \(line 1, ```ts\) has no <!-- snippet: FILE\[#region\] \[=> PATH\] --> marker/);
    await expect(runTutorial('<!-- run: foreground -->\n```bash\nls\n```\n', opts)).rejects.toThrow(/block 1 \(line 2, ```bash\) has a malformed marker/);
    expect(opts.ran).toEqual([]);
  });

  it('refuses a replacement no shell block needs (the page changed under the test)', async () => {
    await expect(runTutorial('```bash\necho 3000\n```\n', options({ replace: { '3001': '4000' } }))).rejects.toThrow(/no shell block contains 3001 any more/);
  });
});

describe('the tutorial runner, on small pages', () => {
  it('carries the folder across commands and blocks, substitutes whole words and checks `# prints:`', async () => {
    const page = ['```bash', 'mkdir -p app/sub', 'cd app', '```', 'text', '```sh', 'cd sub && pwd   # prints: /app/sub', 'echo port 3000 not 30000   # prints: port 4000 not 30000', `echo '{"b":[1],"a":"x"}'   # prints: {"a":"x","b":[1]} (keys in any order)`, '```', ''].join('\n');
    const opts = options({ replace: { '3000': '4000' } });
    const run = await runTutorial(page, opts);
    expect(run.cwd).toBe(join(dir, 'app', 'sub'));
    expect(opts.ran.map((c) => c.command)).toEqual(['mkdir -p app/sub', 'cd app', 'cd sub && pwd   # prints: /app/sub', 'echo port 4000 not 30000   # prints: port 4000 not 30000', `echo '{"b":[1],"a":"x"}'   # prints: {"a":"x","b":[1]} (keys in any order)`]);
  });

  it('fails when the output contradicts `# prints:`, or a command fails', async () => {
    await expect(runTutorial('```bash\necho \'{"a":1}\'   # prints: {"a":2}\n```\n', options())).rejects.toThrow(/block 1 \(line 1, ```bash\): `echo '\{"a":1\}' .*` printed\n\{"a":1\}\n\nbut the doc says it prints \{"a":2\}/);
    await expect(runTutorial('```bash\necho fine\nls /no/such/folder\necho never\n```\n', options())).rejects.toThrow(/block 1 \(line 1, ```bash\): `ls \/no\/such\/folder` failed \(exit 2\)/);
  });

  it('fails naming the block when its server exits before it is ready', async () => {
    await expect(runTutorial('<!-- run: background until "READY" -->\n```bash\necho building\necho crashed && exit 3\n```\n', options())).rejects.toThrow(/block 1 \(line 2, ```bash\): `echo crashed && exit 3` exited \(3\) before printing "READY":\ncrashed/);
  });

  it.each([
    ['by curl', false],
    ['by fetch (as when curl is not installed)', true],
  ])('runs a server in the background and its curl lines %s, then stops the server', async (_name, byFetch) => {
    const port = await getFreePort();
    const server = `node -e "require('http').createServer((q, s) => s.end('{\\"path\\":\\"' + q.url + '\\"}')).listen(${port}, () => console.log('READY'))"`;
    const page = ['<!-- run: background until "READY" -->', '```bash', server, '```', '```bash', `curl 127.0.0.1:${port}/x   # prints: {"path":"/x"}`, `curl -i 127.0.0.1:${port}/y   # prints: HTTP/1.1 200 OK (the status line)`, '```', ''].join('\n');
    const run = await runTutorial(page, options({ curlByFetch: byFetch }));
    await run.stop();
    await expect(fetch(`http://127.0.0.1:${port}/x`)).rejects.toThrow();
    await expect(runTutorial(page.replace('/y   # prints: HTTP/1.1 200 OK', '/y   # prints: HTTP/1.1 404 Not Found'), options({ curlByFetch: byFetch }))).rejects.toThrow(/but the doc says it prints HTTP\/1.1 404 Not Found/);
  });
});
