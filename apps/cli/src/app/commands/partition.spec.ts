import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../args';
import { runCli } from '../cli';
import type { CliContext } from './command';
import { parseGroups } from './partition';

describe('failsoft partition / heal', () => {
  let workspace: string;
  const out: string[] = [];
  const err: string[] = [];
  const run = (...argv: string[]): Promise<number> => {
    const ctx: CliContext = { io: { out: (t) => out.push(t), err: (t) => err.push(t) }, workspace, entry: '/tmp/main.js', env: {} };
    return runCli(argv, ctx);
  };

  beforeEach(() => {
    workspace = mkdtempSync(join(tmpdir(), 'failsoft-partition-cli-'));
    out.length = 0;
    err.length = 0;
  });
  afterEach(() => rmSync(workspace, { recursive: true, force: true }));

  it('parses comma-separated groups of node names', () => {
    expect(parseGroups(['redis-1', 'sentinel-1,sentinel-2,sentinel-3,redis-2'])).toEqual([['redis-1'], ['sentinel-1', 'sentinel-2', 'sentinel-3', 'redis-2']]);
    expect(parseGroups(['clients', 'redis-1,redis-2', 'sentinel-1'])).toEqual([['clients'], ['redis-1', 'redis-2'], ['sentinel-1']]);
    expect(parseGroups(['gateway-1', 'redis-1,redis-2,sentinel-1'])).toEqual([['gateway-1'], ['redis-1', 'redis-2', 'sentinel-1']]);
  });

  it('rejects unknown names, a node in two groups and a single group, naming the problem', () => {
    const cases: Array<[string[], RegExp]> = [
      [['redis-1', 'haproxy-1'], /unknown node "haproxy-1" in "haproxy-1"; nodes are redis-1\.\., sentinel-1\.\., service instances \(upload-1, likes-1, feed-1, gateway-1\.\.\) and clients/],
      [['redis-1', 'redis-1,sentinel-1'], /node "redis-1" is in two groups/],
      [['redis-1'], /give at least 2 groups/],
      [['redis-1', 'sentinel-1,'], /unknown node ""/],
    ];
    for (const [words, message] of cases) {
      expect(() => parseGroups(words)).toThrow(UsageError);
      expect(() => parseGroups(words)).toThrow(message);
    }
  });

  it('exits 2 with the reason on a bad name, and 1 saying how to start a platform when none runs', async () => {
    expect(await run('partition', 'redis-1', 'redis-9x')).toBe(2);
    expect(err[0]).toMatch(/failsoft partition: unknown node "redis-9x"/);
    expect(err[0]).toMatch(/Run 'failsoft partition --help' for usage\./);
    expect(await run('partition', 'redis-1', 'sentinel-1,sentinel-2')).toBe(1);
    expect(err[1]).toMatch(/failsoft partition: no local platform is running.*npm start/);
    expect(await run('heal')).toBe(1);
    expect(err[2]).toMatch(/failsoft heal: no local platform is running/);
    expect(out).toEqual([]);
  });
});
