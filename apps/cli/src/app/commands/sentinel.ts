import { UsageError } from '../args';
import { chaosTargetFor, COMPOSE_FLAG, runChaos, stamp } from '../chaos/chaos-cli';
import type { Command } from './command';

/** `failsoft sentinel kill|revive <n>`: takes one sentinel down (held) or brings it back. */
export const sentinelCommand: Command = {
  name: 'sentinel',
  summary: 'kill or revive one Redis sentinel (1, 2 or 3)',
  usage: 'failsoft sentinel kill|revive <n> [--compose]',
  positionals: [
    { name: 'action', valueName: 'kill|revive', description: 'kill keeps it down until revive', required: true },
    { name: 'n', valueName: '<n>', description: 'which sentinel: 1, 2 or 3 (sentinel-1...)', required: true },
  ],
  details: ['Example: failsoft sentinel kill 2   failsoft sentinel revive 2'],
  flags: [COMPOSE_FLAG],
  async run(flags, ctx) {
    return runChaos(ctx, 'sentinel', async () => {
      const action = String(flags['action'] ?? '');
      if (action !== 'kill' && action !== 'revive') throw new UsageError(`failsoft sentinel: unknown action ${JSON.stringify(action)}; actions are kill, revive`);
      const raw = String(flags['n'] ?? '');
      if (!/^\d{1,2}$/.test(raw) || Number(raw) < 1) throw new UsageError(`failsoft sentinel: <n> must be a sentinel number (1, 2, 3...); got ${JSON.stringify(raw)}`);
      const n = Number(raw);
      const target = chaosTargetFor(flags, ctx);
      const sentinels = (await target.status()).redis.nodes.filter((node) => node.role === 'sentinel');
      if (n > sentinels.length) throw new UsageError(`failsoft sentinel: no sentinel ${n}; there are ${sentinels.length} (1 to ${sentinels.length})`);
      const node = sentinels[n - 1];
      if (action === 'kill') {
        await target.killSentinel(n - 1);
        ctx.io.out(`${stamp()} killed sentinel ${n} (${node.host}:${node.port}); it stays down until: failsoft sentinel revive ${n}`);
      } else {
        await target.reviveSentinel(n - 1);
        ctx.io.out(`${stamp()} revived sentinel ${n} (${node.host}:${node.port})`);
      }
      return 0;
    });
  },
};
