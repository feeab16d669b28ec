import { UsageError } from '../args';
import { chaosTargetFor, COMPOSE_FLAG, runChaos, stamp } from '../chaos/chaos-cli';
import type { Command } from './command';

/** What `failsoft redis` can do. */
export const REDIS_ACTIONS = ['failover', 'kill-master', 'pause-master', 'resume'] as const;

/** `failsoft redis failover|kill-master|pause-master|resume`: breaks the Redis master behind Sentinel. */
export const redisCommand: Command = {
  name: 'redis',
  summary: 'break Redis: failover, kill-master, pause-master, resume',
  usage: 'failsoft redis failover|kill-master|pause-master|resume [--compose]',
  positionals: [{ name: 'action', valueName: 'failover|kill-master|pause-master|resume', description: 'what to do to the Redis master', required: true }],
  details: [
    'failover      ask the sentinels for a failover (SENTINEL FAILOVER) and wait for the new master',
    'kill-master   SIGKILL the master: the sentinels promote a replica; the old master comes back as a replica',
    'pause-master  SIGSTOP the master (a hang) until `failsoft redis resume`',
    'resume        SIGCONT every paused Redis node',
  ],
  flags: [COMPOSE_FLAG],
  async run(flags, ctx) {
    return runChaos(ctx, 'redis', async () => {
      const action = String(flags['action'] ?? '');
      if (!(REDIS_ACTIONS as readonly string[]).includes(action)) throw new UsageError(`failsoft redis: unknown action ${JSON.stringify(action)}; actions are ${REDIS_ACTIONS.join(', ')}`);
      const target = chaosTargetFor(flags, ctx);
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
