import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from '@failsoft/testing';
import { runCli } from '../cli';
import type { CliContext } from './command';

function harness(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const workspace = mkdtempSync(join(tmpdir(), 'failsoft-load-spec-'));
  const ctx: CliContext = { io: { out: (t) => out.push(t), err: (t) => err.push(t) }, workspace, entry: '/nowhere/main.js', env };
  return { out, err, workspace, run: (...argv: string[]) => runCli(['load', ...argv], ctx) };
}

describe('failsoft load: arguments and finding the platform', () => {
  const made: string[] = [];
  afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it.each([
    [['--rate', '0', '--for', '10s'], /--rate must be a number of requests per second above 0 and at most 2000; got "0"/],
    [['--rate', 'lots'], /--rate must be .*got "lots"/],
    [['--rate', '10', '--for', '10 minutes'], /--for must be a positive duration like 30s, 2m, 1m30s or 500ms; got "10 minutes"/],
    [['--rate', '10', '--for', '0s'], /--for must be a positive duration/],
    [['--rate', '10', '--for', '45'], /--for must be at least 1s; got "45" \(a bare number is milliseconds: did you mean 45s\?\)/],
    [['--rate', '10', '--url', 'localhost:8080'], /--url must be an http\(s\) URL like http:\/\/127\.0\.0\.1:8080; got "localhost:8080"/],
    [['--rate', '10', 'extra'], /unexpected argument "extra"/],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const h = harness();
    made.push(h.workspace);
    expect(await h.run(...argv)).toBe(2);
    expect(h.err.join('\n')).toMatch(message);
    expect(h.out).toEqual([]);
  });

  it('without --url and without a running platform: a clear message, exit 1', async () => {
    const h = harness();
    made.push(h.workspace);
    expect(await h.run('--rate', '5', '--for', '1s')).toBe(1);
    expect(h.err[0]).toMatch(/failsoft load: no platform runs here \(no \.failsoft\/run-state\.json\); start one with: npm start \(or give --url\)/);
  });

  it('a run-state of a stopped platform (or under $FAILSOFT_STATE_DIR) is no platform either', async () => {
    const h = harness({ FAILSOFT_STATE_DIR: 'elsewhere' });
    made.push(h.workspace);
    mkdirSync(join(h.workspace, 'elsewhere'));
    writeFileSync(
      join(h.workspace, 'elsewhere', 'run-state.json'),
      JSON.stringify({ version: 1, cliPid: process.pid, stoppedAt: '2026-12-06T05:00:00.000Z', processes: [], frontDoor: { url: 'http://127.0.0.1:1' } }),
    );
    expect(await h.run('--rate', '5', '--for', '1s')).toBe(1);
    expect(h.err[0]).toMatch(/failsoft load: the platform stopped at 2026-12-06T05:00:00\.000Z \(elsewhere\/run-state\.json\); start it with: npm start/);
  });

  it('an unreachable --url: a clear message, exit 1', async () => {
    const h = harness();
    made.push(h.workspace);
    const url = `http://127.0.0.1:${await getFreePort()}`; // nothing listens there
    expect(await h.run('--rate', '5', '--for', '1s', '--url', url)).toBe(1);
    expect(h.err[0]).toBe(`failsoft load: cannot start against ${url}: sign-in as alice at ${url} failed: ECONNREFUSED`);
  });
});
