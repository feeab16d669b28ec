import { UsageError } from '../args';
import { chaosTargetFor, COMPOSE_FLAG, runChaos, stamp } from '../chaos/chaos-cli';
import type { ChaosTarget } from '../chaos/chaos-target';
import type { CliContext, Command } from './command';

async function runNodeAction(action: string, node: string, target: ChaosTarget, ctx: CliContext, compose: string): Promise<number> {
  if (action === 'revive') {
    const revived = await target.redisReviveNode(node);
    ctx.io.out(`${stamp()} reviving ${revived}: it rejoins as a replica (see: failsoft status${compose})`);
    return 0;
  }
  const hold = action === 'hold';
  const killed = await target.redisKillNode(node, { hold, replicaOnly: !hold });
  const name = killed.split(' ')[0];
  ctx.io.out(hold ? `${stamp()} killed ${killed} (SIGKILL); held down until: failsoft redis revive ${name}${compose}` : `${stamp()} killed the replica ${killed} (SIGKILL); the platform restarts it within seconds (see: failsoft status${compose})`);
  return 0;
}

/** What `failsoft redis` can do. */
export const REDIS_ACTIONS = ['failover', 'kill-master', 'pause-master', 'resume', 'kill-replica', 'hold', 'revive'] as const;
/** The actions that take a data node (`redis-2`, `2`, or its port). */
const NODE_ACTIONS: readonly string[] = ['kill-replica', 'hold', 'revive'];

/** `failsoft redis failover|kill-master|pause-master|resume|kill-replica|hold|revive`: breaks Redis behind Sentinel. */
export const redisCommand: Command = {
  name: 'redis',
  summary: 'break Redis: failover, kill-master, pause-master, resume, kill-replica, hold, revive',
  usage: 'failsoft redis failover|kill-master|pause-master|resume [--compose]\n       failsoft redis kill-replica|hold|revive <node> [--compose]',
  positionals: [
    { name: 'action', valueName: 'failover|kill-master|pause-master|resume|kill-replica|hold|revive', description: 'what to do', required: true },
    { name: 'node', valueName: '<node>', description: 'the data node of kill-replica, hold and revive: redis-1, redis-2, redis-3 (or 1, 2, 3; see failsoft status)' },
  ],
  details: [
    'failover      ask the sentinels for a failover (SENTINEL FAILOVER) and wait for the new master',
    'kill-master   SIGKILL the master: the sentinels promote a replica; the old master comes back as a replica',
    'pause-master  SIGSTOP the master (a hang) until `failsoft redis resume`',
    'resume        SIGCONT every paused Redis node',
    'kill-replica  SIGKILL replica <node>: the platform restarts it (refused for the master)',
    'hold          SIGKILL data node <node> (replica or master) and keep it down until `failsoft redis revive <node>`',
    'revive        bring a held data node back (it rejoins as a replica)',
    'Example: failsoft redis hold redis-2   failsoft redis revive redis-2',
  ],
  flags: [COMPOSE_FLAG],
  async run(flags, ctx) {
    return runChaos(ctx, 'redis', async () => {
      const action = String(flags['action'] ?? '');
      if (!(REDIS_ACTIONS as readonly string[]).includes(action)) throw new UsageError(`failsoft redis: unknown action ${JSON.stringify(action)}; actions are ${REDIS_ACTIONS.join(', ')}`);
      const node = flags['node'] === undefined ? undefined : String(flags['node']);
      if (NODE_ACTIONS.includes(action) && node === undefined) throw new UsageError(`failsoft redis ${action}: which data node? e.g. failsoft redis ${action} redis-2 (see failsoft status)`);
      if (!NODE_ACTIONS.includes(action) && node !== undefined) throw new UsageError(`failsoft redis ${action} takes no node (got ${JSON.stringify(node)}); only ${NODE_ACTIONS.join(', ')} do`);
      const target = chaosTargetFor(flags, ctx);
      const compose = flags['compose'] ? ' --compose' : '';
      if (node !== undefined) return runNodeAction(action, node, target, ctx, compose);
      const t = Date.now();
      switch (action) {
        case 'failover': {
          const before = (await target.status()).redis.master;
          ctx.io.out(`${stamp()} asking the sentinels for a failover (master ${before ?? 'unknown'})...`);
          const master = await target.redisFailover();
          ctx.io.out(`${stamp()} failover done in ${((Date.now() - t) / 1000).toFixed(1)} s: the master is now ${master} (was ${before ?? 'unknown'})`);
          return 0;
        }
        case 'kill-master': {
          const killed = await target.redisKillMaster();
          ctx.io.out(`${stamp()} killed the Redis master ${killed} (SIGKILL); the sentinels promote a replica within a few seconds (see: failsoft status)`);
          return 0;
        }
        case 'pause-master': {
          const paused = await target.redisPauseMaster();
          ctx.io.out(`${stamp()} paused the Redis master ${paused} (SIGSTOP); resume it with: failsoft redis resume${flags['compose'] ? ' --compose' : ''}`);
          return 0;
        }
        default: {
          await target.redisResume();
          ctx.io.out(`${stamp()} resumed every paused Redis node`);
          return 0;
        }
      }
    });
  },
};
