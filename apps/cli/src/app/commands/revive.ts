import { UsageError } from '../args';
import { checkTargetSyntax, chaosTargetFor, COMPOSE_FLAG, resolveTarget, runChaos, stamp } from '../chaos/chaos-cli';
import type { ChaosInstance, ChaosTarget } from '../chaos/chaos-target';
import type { CliIo, Command } from './command';

/** Waits until `ids` are running and ready (ready null = not probed counts as ready), printing progress. */
async function waitReady(target: ChaosTarget, ids: readonly string[], timeoutMs: number, io: CliIo): Promise<ChaosInstance[]> {
  const t = Date.now();
  let pending: ChaosInstance[] = [];
  let lastSaid = 0;
  for (;;) {
    const status = await target.status();
    pending = status.instances.filter((i) => ids.includes(i.id) && (i.state !== 'running' || i.ready === false));
    if (pending.length === 0) return [];
    if (Date.now() - t > timeoutMs) return pending;
    if (Date.now() - lastSaid > 5000) {
      lastSaid = Date.now();
      io.out(`${stamp()} waiting for ${pending.map((i) => `${i.id} (${i.state}${i.ready === false && i.state === 'running' ? ', not ready' : ''})`).join(', ')} to be ready...`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** `failsoft revive <service>[/<instance>]|--all`: brings back what `failsoft kill` (and the redis/sentinel commands) took down. */
export const reviveCommand: Command = {
  name: 'revive',
  summary: 'bring back instances killed or paused by `failsoft kill` (--all: everything, Redis and sentinels too)',
  usage: 'failsoft revive <service>[/<instance>] | --all [--no-wait] [--timeout <duration>] [--compose]',
  positionals: [{ name: 'target', valueName: '<service>[/<instance>]', description: 'likes (every instance), likes/likes-1 or likes-1' }],
  details: ['Waits until the revived instances answer /readyz (unless --no-wait).', 'Examples: failsoft revive likes-1   failsoft revive likes   failsoft revive --all'],
  flags: [
    { name: 'all', type: 'boolean', description: 'revive every instance, resume paused Redis nodes, revive held Redis nodes and stopped sentinels' },
    { name: 'no-wait', type: 'boolean', description: 'do not wait for the revived instances to be ready' },
    { name: 'timeout', type: 'duration', min: 1, max: 600_000, valueName: '<duration>', description: 'how long to wait for readiness (default 60s)' },
    COMPOSE_FLAG,
  ],
  async run(flags, ctx) {
    return runChaos(ctx, 'revive', async () => {
      const spec = flags['target'] as string | undefined;
      if (flags['all'] === true && spec !== undefined) throw new UsageError(`failsoft revive: give either <service>[/<instance>] or --all, not both (got ${JSON.stringify(spec)} and --all)`);
      if (flags['all'] !== true) checkTargetSyntax('failsoft revive', spec);
      const target = chaosTargetFor(flags, ctx);
      const status = await target.status();
      const ids = flags['all'] === true ? status.instances.map((i) => i.id) : resolveTarget('failsoft revive', spec as string, status).ids;
      const before = new Map(status.instances.map((i) => [i.id, i.state]));
      await Promise.all(
        ids.map(async (id) => {
          await target.revive(id);
          const was = before.get(id);
          if (was !== 'running' || flags['all'] !== true) ctx.io.out(`${stamp()} revived ${id}${was && was !== 'running' ? ` (was ${was})` : ' (was running: nothing to do)'}`);
        }),
      );
      if (flags['all'] === true) {
        await target.redisResume();
        const sentinels = status.redis.nodes.filter((n) => n.role === 'sentinel');
        for (const [index, node] of sentinels.entries()) {
          if (node.state !== 'running') {
            await target.reviveSentinel(index);
            ctx.io.out(`${stamp()} revived sentinel ${index + 1} (:${node.port})`);
          }
        }
        const data = status.redis.nodes.filter((n) => n.role !== 'sentinel');
        for (const [index, node] of data.entries()) {
          if (node.state !== 'held' && !(status.kind === 'compose' && node.state === 'down')) continue;
          const revived = await target.redisReviveNode(node.name ?? String(index + 1));
          ctx.io.out(`${stamp()} revived Redis ${revived} (was ${node.state})`);
        }
        const paused = data.filter((n) => n.state === 'paused');
        for (const node of paused) ctx.io.out(`${stamp()} resumed Redis ${node.host}:${node.port}`);
      }
      if (flags['no-wait'] === true) return 0;
      const timeoutMs = typeof flags['timeout'] === 'number' ? flags['timeout'] : 60_000;
      const notReady = await waitReady(target, ids, timeoutMs, ctx.io);
      if (notReady.length > 0) {
        ctx.io.err(`failsoft revive: not ready after ${timeoutMs / 1000} s: ${notReady.map((i) => `${i.id} (${i.state})`).join(', ')}; see: failsoft status, and its log`);
        return 1;
      }
      ctx.io.out(`${stamp()} ready: ${ids.join(', ')}`);
      return 0;
    });
  },
};
