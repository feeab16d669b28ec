import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Runs a tutorial (docs/use-in-your-nest-app.md) the way a reader does: its fenced blocks in
 * order, each shell block's commands for real in one folder that `cd` lines move, and each file the
 * reader is told to write. The markdown decides everything; a block the runner cannot run is an
 * error, never skipped.
 *
 * Conventions of the markdown (HTML comments, invisible once rendered):
 * - ```` ```bash ```` (or sh, shell): commands run one by one with bash, in the folder the previous
 *   ones left; each must exit 0. A trailing `# prints: X` (optionally followed by ` (remark)`) is
 *   checked against the command's stdout: X as JSON equals it parsed as JSON, otherwise it contains X.
 *   npx's "Ok to proceed?" is answered yes (npm_config_yes), as a reader at a terminal does.
 * - `<!-- run: background until "TEXT" -->` before a shell block: its last command keeps running
 *   (a server); the runner waits until it prints TEXT, and stops it in {@link TutorialRun.stop}.
 * - `<!-- snippet: FILE[#region] => PATH -->` before a ts/proto block: the reader writes that file
 *   at PATH (relative to the current folder): the block itself for a whole FILE, else the example
 *   app's whole FILE (the block is a region of it; docs-snippets.spec.ts checks it is). Without
 *   `=> PATH` the block is an alternative the reader does not write (still checked by that spec).
 */

/** One fenced block of the tutorial, in document order. */
export interface TutorialBlock {
  /** 1-based position among the document's fenced blocks. */
  readonly index: number;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly kind: 'shell' | 'snippet';
  readonly lang: string;
  readonly code: string;
  /** Shell blocks: the commands, continuation lines (`\`) joined to their command. */
  readonly commands: readonly string[];
  /** Shell blocks: the text the last command prints once it serves (it then runs in the background). */
  readonly readyText?: string;
  /** Snippet blocks: the example app's file (and region) the block quotes. */
  readonly ref?: string;
  /** Snippet blocks: where the reader writes the file, when they do. */
  readonly target?: string;
}

const SHELL_LANGS = new Set(['bash', 'sh', 'shell']);
const SNIPPET_LANGS = new Set(['ts', 'proto']);

/** A block's name in messages: `block 3 (line 42, ```bash)`. */
export function blockName(block: Pick<TutorialBlock, 'index' | 'line' | 'lang'>): string {
  return `block ${block.index} (line ${block.line}, \`\`\`${block.lang})`;
}

/** Splits a shell block into commands: comment-only and blank lines dropped, `\` continuations joined. */
export function shellCommands(code: string): string[] {
  const commands: string[] = [];
  let pending = '';
  for (const line of code.split('\n')) {
    if (pending === '' && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    pending += (pending === '' ? '' : '\n') + line;
    if (!line.endsWith('\\')) {
      commands.push(pending);
      pending = '';
    }
  }
  if (pending !== '') commands.push(pending);
  return commands;
}

/**
 * Every fenced block of `markdown` with its markers; throws naming the block for one the runner
 * cannot run (unknown language, snippet without marker, malformed marker).
 */
export function parseTutorial(markdown: string, docName: string): TutorialBlock[] {
  const blocks: TutorialBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = lines[i].match(/^```(.*)$/);
    if (!fence) continue;
    const end = lines.findIndex((l, j) => j > i && l === '```');
    const lang = fence[1].trim();
    const where = blockName({ index: blocks.length + 1, line: i + 1, lang });
    if (end === -1) throw new Error(`${docName}: ${where} is never closed`);
    const code = lines.slice(i + 1, end).join('\n');
    const marker = i > 0 ? lines[i - 1].trim() : '';
    const base = { index: blocks.length + 1, line: i + 1, lang, code };
    if (SHELL_LANGS.has(lang)) {
      const run = marker.startsWith('<!-- run:') ? marker.match(/^<!-- run: background until "([^"]+)" -->$/) : undefined;
      if (run === null) throw new Error(`${docName}: ${where} has a malformed marker ${marker}; the only one is <!-- run: background until "TEXT" -->`);
      const commands = shellCommands(code);
      if (commands.length === 0) throw new Error(`${docName}: ${where} has no command to run`);
      blocks.push({ ...base, kind: 'shell', commands, readyText: run?.[1] });
    } else if (SNIPPET_LANGS.has(lang)) {
      const snippet = marker.match(/^<!-- snippet: (\S+?)(?: => (\S+))? -->$/);
      if (!snippet) throw new Error(`${docName}: ${where} has no <!-- snippet: FILE[#region] [=> PATH] --> marker: every code block must come from the example app`);
      blocks.push({ ...base, kind: 'snippet', commands: [], ref: snippet[1], target: snippet[2] });
    } else {
      throw new Error(`${docName}: ${where} is neither a shell block the tutorial test runs (${[...SHELL_LANGS].join(', ')}) nor a snippet of the example app (${[...SNIPPET_LANGS].join(', ')}): give it one of those languages`);
    }
    i = end;
  }
  return blocks;
}

/** Options of {@link runTutorial}. */
export interface TutorialRunOptions {
  /** Name used in messages (the markdown's path). */
  readonly docName: string;
  /** The folder the reader starts in (empty). */
  readonly dir: string;
  /** The example app the snippets quote (regions are written as its whole files). */
  readonly fixture: string;
  /** Environment of every command (e.g. the registry of the @failsoft scope), over process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Words of the shell blocks replaced before running (the doc's well-known ports by free ones):
   * each must occur in some shell block, so a changed doc fails instead of silently using the default.
   */
  readonly replace?: Readonly<Record<string, string>>;
  /** Per foreground command (default 10 min). */
  readonly commandTimeoutMs?: number;
  /** For a background command to print its ready text (default 3 min). */
  readonly readyTimeoutMs?: number;
  /** Run `curl` commands with node's fetch (the default when curl is not installed). */
  readonly curlByFetch?: boolean;
  /** Called after each command (progress in the test log). */
  readonly onCommand?: (result: CommandResult) => void;
}

/** One command as it ran. */
export interface CommandResult {
  readonly block: string;
  readonly command: string;
  readonly output: string;
  readonly ms: number;
}

/** A tutorial that ran to its end: its commands and the servers it left running. */
export interface TutorialRun {
  readonly commands: readonly CommandResult[];
  /** The folder the last command ran in (e.g. the app the tutorial created). */
  readonly cwd: string;
  /** Stops the background servers (SIGTERM to their process group, SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/** Whole-word replacement of each key of `replace` in `command`. */
function substitute(command: string, replace: Readonly<Record<string, string>>): string {
  return Object.entries(replace).reduce((text, [from, to]) => text.replace(new RegExp(`(?<![\\w.])${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w])`, 'g'), to), command);
}

/** The `# prints: X (remark)` expectation of a command, if any. */
export function expectedOutput(command: string): string | undefined {
  const match = command.match(/\s#\s*prints:\s*(.+)$/);
  if (!match) return undefined;
  return match[1].replace(/\s+\(.*\)\s*$/, '').trim();
}

/** Checks `output` against `expected`: JSON equality when `expected` is JSON, else containment. */
export function outputMatches(output: string, expected: string): boolean {
  let json: unknown;
  try {
    json = JSON.parse(expected);
  } catch {
    return output.includes(expected);
  }
  try {
    return JSON.stringify(sortKeys(JSON.parse(output))) === JSON.stringify(sortKeys(json));
  } catch {
    return false;
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sortKeys(v)]));
}

/** `curl [-i] [-s] URL` by fetch: the body, after the status line and headers with `-i`. */
export async function curlByFetch(command: string): Promise<{ code: number; output: string }> {
  const words = command.replace(/\s#.*$/, '').trim().split(/\s+/);
  const flags = words.slice(1).filter((w) => w.startsWith('-'));
  const urls = words.slice(1).filter((w) => !w.startsWith('-'));
  const unknown = flags.filter((f) => !['-i', '-s', '-is', '-si'].includes(f));
  if (words[0] !== 'curl' || urls.length !== 1 || unknown.length > 0) {
    return { code: 2, output: `cannot run \`${command}\` without curl: only \`curl [-i] [-s] URL\` is emulated with fetch; install curl` };
  }
  const url = /^https?:\/\//.test(urls[0]) ? urls[0] : `http://${urls[0]}`;
  try {
    const response = await fetch(url);
    const head = flags.some((f) => f.includes('i')) ? `HTTP/1.1 ${response.status} ${response.statusText}\r\n${[...response.headers].map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n` : '';
    return { code: 0, output: head + (await response.text()) };
  } catch (error) {
    return { code: 7, output: `curl (by fetch): ${String(error)}` };
  }
}

/** A foreground command's end: its stdout and stderr interleaved (`output`), and stdout alone. */
interface Ran {
  readonly code: number | null;
  readonly output: string;
  readonly stdout: string;
  readonly timedOut: boolean;
}

/** Runs `script` with bash in its own process group; kills the group on timeout. */
function runBash(script: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => (output += String(error)));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, stdout, timedOut });
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

const tail = (text: string): string => (text.length > 6000 ? `…${text.slice(-6000)}` : text);

/** Starts a background command and waits for its ready text; rejects with its output if it exits or times out. */
async function startBackground(command: string, cwd: string, env: NodeJS.ProcessEnv, readyText: string, timeoutMs: number, where: string): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn('bash', ['-c', command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      killGroup(child, 'SIGKILL');
      reject(new Error(`${where}: \`${command}\` ${why}:\n${tail(output)}`));
    };
    const timer = setTimeout(() => fail(`did not print "${readyText}" within ${timeoutMs / 1000} s`), timeoutMs);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes(readyText)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => fail(`exited (${code ?? signal}) before printing "${readyText}"`));
  });
  return { child, output: () => output };
}

/** Stops background servers: SIGTERM to each group, SIGKILL after 10 s. */
async function stopAll(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          killGroup(child, 'SIGTERM');
        }),
    ),
  );
}

/** Writes the file a snippet block tells the reader to write. */
function writeSnippet(block: TutorialBlock, cwd: string, fixture: string): void {
  if (block.target === undefined || block.ref === undefined) return;
  const [file, region] = block.ref.split('#');
  const target = join(cwd, block.target);
  mkdirSync(dirname(target), { recursive: true });
  if (region === undefined) writeFileSync(target, `${block.code}\n`);
  else copyFileSync(join(fixture, file), target);
}

const hasCurl = (): boolean => spawnSync('bash', ['-c', 'command -v curl'], { stdio: 'ignore' }).status === 0;

/**
 * Runs every block of `markdown` in order (see the conventions above); rejects with a message
 * naming the block and the command at the first one that fails, leaving nothing running.
 */
export async function runTutorial(markdown: string, options: TutorialRunOptions): Promise<TutorialRun> {
  const blocks = parseTutorial(markdown, options.docName);
  const replace = options.replace ?? {};
  const shellText = blocks.filter((b) => b.kind === 'shell').map((b) => b.code).join('\n');
  const unused = Object.keys(replace).filter((from) => substitute(shellText, { [from]: '\u0000' }) === shellText);
  if (unused.length > 0) throw new Error(`${options.docName}: no shell block contains ${unused.join(', ')} any more: update the test's replacements to the doc`);
  const useFetch = options.curlByFetch ?? !hasCurl();
  const state = mkdtempSync(join(tmpdir(), 'failsoft-tutorial-state-'));
  const cwdFile = join(state, 'cwd');
  // npm_config_yes: the reader's "y" to npx's "Ok to proceed?" (asked at a terminal; without one npx refuses)
  const env = { ...process.env, npm_config_yes: 'true', ...options.env, TUTORIAL_CWD_FILE: cwdFile };
  const commands: CommandResult[] = [];
  const servers: ChildProcess[] = [];
  let cwd = options.dir;
  try {
    for (const block of blocks) {
      if (block.kind === 'snippet') {
        writeSnippet(block, cwd, options.fixture);
        continue;
      }
      const where = `${options.docName} ${blockName(block)}`;
      for (const [i, original] of block.commands.entries()) {
        const command = substitute(original, replace);
        const started = Date.now();
        if (block.readyText !== undefined && i === block.commands.length - 1) {
          const server = await startBackground(command, cwd, env, block.readyText, options.readyTimeoutMs ?? 180_000, where);
          servers.push(server.child);
          record(commands, options, { block: where, command, output: server.output(), ms: Date.now() - started });
          continue;
        }
        const byFetch = useFetch && /^curl\s/.test(command);
        const result: Ran = byFetch ? await curlByFetch(command).then((r) => ({ ...r, stdout: r.output, timedOut: false })) : await runBash(`set -eo pipefail\ntrap 'pwd > "$TUTORIAL_CWD_FILE"' EXIT\n${command}\n`, cwd, env, options.commandTimeoutMs ?? 600_000);
        const ms = Date.now() - started;
        if (result.timedOut) throw new Error(`${where}: \`${command}\` did not finish within ${(options.commandTimeoutMs ?? 600_000) / 1000} s (killed):\n${tail(result.output)}`);
        if (result.code !== 0) throw new Error(`${where}: \`${command}\` failed (exit ${result.code}) after ${(ms / 1000).toFixed(1)} s:\n${tail(result.output)}`);
        if (!byFetch) cwd = readFileSync(cwdFile, 'utf8').trim();
        const expected = expectedOutput(original);
        // what a reader's terminal shows: stdout (curl writes its progress meter to stderr when piped)
        if (expected !== undefined && !outputMatches(result.stdout, expected)) {
          throw new Error(`${where}: \`${command}\` printed\n${tail(result.stdout)}\nbut the doc says it prints ${expected}`);
        }
        record(commands, options, { block: where, command, output: result.output, ms });
      }
    }
  } catch (error) {
    await stopAll(servers);
    throw error;
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
  return { commands, cwd, stop: () => stopAll(servers) };
}

function record(commands: CommandResult[], options: TutorialRunOptions, result: CommandResult): void {
  commands.push(result);
  options.onCommand?.(result);
}
