import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from '@failsoft/testing';
import { runCli } from '../cli';
import { FaultyApi, type Faults } from '../../../test/faulty-api';
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
    [['--rate', '10', '--window', '0s'], /--window must be a positive duration like 30s, 2m, 1m30s or 500ms; got "0s"/],
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

describe('failsoft load against an API that loses or cannot show acknowledged writes (test/faulty-api.ts)', () => {
  jest.setTimeout(60_000);
  const made: string[] = [];
  let api: FaultyApi;
  beforeEach(async () => (api = await FaultyApi.start()));
  afterEach(async () => api.stop());
  afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  /** `failsoft load --url <the fake> --rate 50 --for 1s --window 1s --json` with `faults` on throughout. */
  async function loadAgainst(faults: Partial<Faults>) {
    Object.assign(api.faults, faults);
    const h = harness();
    made.push(h.workspace);
    const code = await h.run('--rate', '50', '--for', '1s', '--window', '1s', '--url', api.url, '--json');
    const json = JSON.parse(h.out[h.out.length - 1]) as { acknowledgedWrites: number; lostAcknowledgedWrites: number; unverifiedWrites: number };
    return { code, json, out: h.out.join('\n'), lastErr: h.err[h.err.length - 1] };
  }

  it('control: a correct API exits 0 with 0 lost and 0 unverified', async () => {
    const run = await loadAgainst({});
    expect(run.json.acknowledgedWrites).toBeGreaterThan(0);
    expect({ code: run.code, lost: run.json.lostAcknowledgedWrites, unverified: run.json.unverifiedWrites }).toEqual({ code: 0, lost: 0, unverified: 0 });
    expect(run.out).toMatch(/^lost acknowledged writes: 0, unverified: 0 \(/m);
    expect(run.lastErr).not.toMatch(/exit code 1/);
  });

  it('acknowledged writes the API dropped: exit 1, each counted lost, with a clear message', async () => {
    const run = await loadAgainst({ dropLikes: true, dropUploads: true });
    const planted = api.plantedLosses();
    expect(planted.length).toBeGreaterThan(0);
    expect(run.code).toBe(1);
    expect(run.json).toMatchObject({ lostAcknowledgedWrites: planted.length, unverifiedWrites: 0 });
    expect(run.out).toMatch(/^ {2}LOST (like|upload) by [a-z]+ on post p_/m);
    expect(run.lastErr).toBe(`failsoft load: ${planted.length} acknowledged writes lost and 0 unverified (not read back cleanly within the 1.0 s verification window); exit code 1`);
  });

  it('a read-back that never answers cleanly: exit 1, every write unverified, with a clear message', async () => {
    const run = await loadAgainst({ reads: 'degraded' });
    expect(run.code).toBe(1);
    expect(run.json.lostAcknowledgedWrites).toBe(0);
    expect(run.json.unverifiedWrites).toBeGreaterThan(0);
    expect(run.out).toMatch(/^ {2}UNVERIFIED (like|unlike|upload) by [a-z]+ on post p_/m);
    expect(run.lastErr).toBe(`failsoft load: 0 acknowledged writes lost and ${run.json.unverifiedWrites} unverified (not read back cleanly within the 1.0 s verification window); exit code 1`);
  });
});
