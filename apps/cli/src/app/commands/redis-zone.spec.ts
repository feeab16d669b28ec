import { runCli } from '../cli';
import type { CliContext } from './command';

function harness() {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = { io: { out: (t) => out.push(t), err: (t) => err.push(t) }, workspace: '/tmp/failsoft-no-such-workspace', entry: '/tmp/main.js', env: {} };
  return { out, err, run: (...argv: string[]) => runCli(argv, ctx) };
}

describe('failsoft redis <node actions> and failsoft zone: bad input', () => {
  it.each([
    [['redis', 'hold'], /failsoft redis hold: which data node\? e\.g\. failsoft redis hold redis-2/],
    [['redis', 'kill-replica'], /failsoft redis kill-replica: which data node\?/],
    [['redis', 'revive'], /failsoft redis revive: which data node\?/],
    [['redis', 'kill-master', 'redis-2'], /failsoft redis kill-master takes no node \(got "redis-2"\); only kill-replica, hold, revive do/],
    [['redis', 'explode', 'redis-2'], /unknown action "explode"; actions are failover, kill-master, pause-master, resume, kill-replica, hold, revive/],
    [['zone', 'sideways', 'zone-a'], /failsoft zone: unknown action "sideways"; actions are down, up/],
    [['zone', 'down'], /zone/],
  ])('failsoft %j: a usage error (exit 2) naming what is wrong, before touching any platform', async (argv, message) => {
    const h = harness();
    expect(await h.run(...argv)).toBe(2);
    expect(h.err.join('\n')).toMatch(message);
    expect(h.out).toEqual([]);
  });

  it('without a running platform, a node action says how to start one (exit 1)', async () => {
    const h = harness();
    expect(await h.run('zone', 'down', 'zone-b')).toBe(1);
    expect(h.err.join('\n')).toMatch(/npm start|failsoft up/);
  });
});
