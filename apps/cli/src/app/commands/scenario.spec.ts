import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli';
import { SCENARIOS } from '../scenario/scenarios';
import type { CliContext } from './command';
import { selectScenarios } from './scenario';

function harness(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const workspace = mkdtempSync(join(tmpdir(), 'failsoft-scenario-spec-'));
  const ctx: CliContext = { io: { out: (t) => out.push(t), err: (t) => err.push(t) }, workspace, entry: '/nowhere/main.js', env };
  return { out, err, workspace, run: (...argv: string[]) => runCli(['scenario', ...argv], ctx) };
}

describe('failsoft scenario: arguments', () => {
  const made: string[] = [];
  afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('--list names every scenario with its title and exemption', async () => {
    const h = harness();
    made.push(h.workspace);
    expect(await h.run('--list')).toBe(0);
    const text = h.out.join('\n');
    for (const s of SCENARIOS) expect(text).toContain(s.name);
    expect(text).toMatch(/kill-all-likes .*\[exempt: like, unlike\]/);
    expect(text).toMatch(/kill-all-upload .*\[exempt: create\]/);
    expect(text).not.toMatch(/kill-all-feed .*exempt/);
  });

  it('has at least the scenarios of the issue', () => {
    const names = SCENARIOS.map((s) => s.name);
    for (const name of ['kill-one-upload', 'kill-one-likes', 'kill-one-feed', 'kill-one-gateway', 'kill-all-likes', 'kill-all-upload', 'kill-all-feed', 'redis-master-kill', 'redis-master-stop', 'kill-one-sentinel', 'stop-one-likes', 'delay-likes', 'rolling-restart', 'monkey']) {
      expect(names).toContain(name);
    }
    expect(new Set(names).size).toBe(names.length);
  });

  it('an unknown scenario lists the known ones (exit 2), suggesting a close name', async () => {
    const h = harness();
    made.push(h.workspace);
    expect(await h.run('kill-one-like')).toBe(2);
    expect(h.err[0]).toMatch(/failsoft scenario: unknown scenario "kill-one-like" \(did you mean kill-one-likes\?\); scenarios: all, partitions, kill-one-upload, /);
    expect(await h.run('explode')).toBe(2);
    expect(h.err[1]).toMatch(/unknown scenario "explode"; scenarios: all, /);
  });

  it('no scenario name is a usage error naming the scenarios', async () => {
    const h = harness();
    made.push(h.workspace);
    expect(await h.run('--short')).toBe(2);
    expect(h.err[0]).toMatch(/name a scenario or all; scenarios: kill-one-upload/);
  });

  it('a bad rate, a bad --html name or an extra argument is a usage error (exit 2)', async () => {
    const h = harness();
    made.push(h.workspace);
    expect(await h.run('all', '--rate', 'fast')).toBe(2);
    expect(h.err[0]).toMatch(/--rate must be a number of requests per second above 0 and at most 2000; got "fast"/);
    expect(await h.run('all', '--html', 'report.txt')).toBe(2);
    expect(h.err[1]).toMatch(/--html needs a file name ending in \.html; got "report\.txt"/);
    expect(await h.run('all', 'monkey')).toBe(2);
    expect(h.err[2]).toMatch(/unexpected argument "monkey"/);
  });

  it('--use-running without a running platform says how to start one (exit 1)', async () => {
    const h = harness();
    made.push(h.workspace);
    expect(await h.run('kill-one-likes', '--use-running')).toBe(1);
    expect(h.err[0]).toMatch(/failsoft scenario --use-running: no local platform is running.*npm start/);
  });

  it('selectScenarios: all is every scenario in order', () => {
    expect(selectScenarios('all')).toBe(SCENARIOS);
    expect(selectScenarios('monkey').map((s) => s.name)).toEqual(['monkey']);
  });

  it('selectScenarios: partitions is every Redis partition scenario (not part of all), each found by name too', () => {
    const names = selectScenarios('partitions').map((s) => s.name);
    expect(names).toEqual(['redis-partition-minority-master', 'redis-partition-master-with-replica', 'redis-partition-flapping', 'redis-partition-gateway-cut', 'redis-partition-leader-cut']);
    for (const name of names) expect(selectScenarios(name).map((s) => s.name)).toEqual([name]);
    expect(SCENARIOS.map((s) => s.name)).not.toContain(names[0]);
    for (const s of selectScenarios('partitions')) expect([s.name, s.exempt?.endpoints, s.durability]).toEqual([s.name, ['like', 'unlike', 'create'], expect.stringContaining("replicaSet 'sentinel'")]);
  });
});
