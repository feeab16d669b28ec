import type { ChaosTarget } from '../chaos/chaos-target';
import type { FaultContext, ScenarioDefinition } from './scenario';
import { REDIS_FAILOVER_EXEMPTION } from './scenarios';

/** The durability rule the services run with (libs/state default; see docs/chaos.md, "Partitions"). */
export const DEFAULT_DURABILITY = "replicas 'all', replicaSet 'sentinel': a sentinel majority names the master and every replica it could promote confirmed (WAIT)";

const SENTINELS = ['sentinel-1', 'sentinel-2', 'sentinel-3'];

/** The partition names of the current master and its replicas (`redis-1`.. in the order of the status). */
export async function redisRoles(target: ChaosTarget): Promise<{ master: string; replicas: string[] }> {
  const status = await target.status();
  const data = status.redis.nodes.filter((n) => n.role !== 'sentinel');
  const names = data.map((n, i) => ({ name: `redis-${i + 1}`, address: `${n.host}:${n.port}` }));
  const master = names.find((n) => n.address === status.redis.master);
  if (!master) throw new Error(`no Redis master in the status (${status.redis.master ?? 'none'}); is Redis whole? (failsoft status)`);
  return { master: master.name, replicas: names.filter((n) => n !== master).map((n) => n.name) };
}

/** Cuts `groups`, holds the fault, heals. */
async function cutAndHeal(ctx: FaultContext, groups: string[][], label: string): Promise<void> {
  const shown = groups.map((g) => g.join(',')).join(' | ');
  ctx.mark(`cut ${label}`);
  ctx.log(`partition ${shown} (held ${ctx.faultMs / 1000} s; durability: ${DEFAULT_DURABILITY})`);
  await ctx.target.partition(groups);
  try {
    await ctx.hold(ctx.faultMs);
  } finally {
    ctx.mark('heal');
    ctx.log('heal every link');
    await ctx.target.heal();
  }
}

/** The Redis partition scenarios (`failsoft scenario partitions` runs them all). */
export const PARTITION_SCENARIOS: readonly ScenarioDefinition[] = [
  {
    name: 'redis-partition-minority-master',
    title: 'partition: the master cut from the sentinels and one replica (it keeps its clients), then heal',
    exempt: REDIS_FAILOVER_EXEMPTION,
    durability: DEFAULT_DURABILITY,
    faultMs: { full: 20_000, short: 8000 },
    async fault(ctx) {
      const { master, replicas } = await redisRoles(ctx.target);
      await cutAndHeal(ctx, [[master], [...SENTINELS, replicas[0]]], `${master} from the sentinels and ${replicas[0]}`);
    },
  },
  {
    name: 'redis-partition-master-with-replica',
    title: 'partition: the master + one replica vs the sentinels + the other replica, then heal',
    exempt: REDIS_FAILOVER_EXEMPTION,
    durability: DEFAULT_DURABILITY,
    faultMs: { full: 20_000, short: 8000 },
    async fault(ctx) {
      const { master, replicas } = await redisRoles(ctx.target);
      await cutAndHeal(ctx, [[master, replicas[0]], [...SENTINELS, replicas[1]]], `${master}+${replicas[0]} from the sentinels and ${replicas[1]}`);
    },
  },
  {
    name: 'redis-partition-flapping',
    title: 'partition flapping: the master cut from the sentinels and one replica for 3 s, healed for 3 s, over and over',
    exempt: REDIS_FAILOVER_EXEMPTION,
    durability: DEFAULT_DURABILITY,
    faultMs: { full: 60_000, short: 12_000 },
    async fault(ctx) {
      const until = Date.now() + ctx.faultMs;
      ctx.log(`flapping for ${ctx.faultMs / 1000} s (durability: ${DEFAULT_DURABILITY})`);
      try {
        for (let round = 1; Date.now() < until; round++) {
          const { master, replicas } = await redisRoles(ctx.target).catch(() => ({ master: 'redis-1', replicas: ['redis-2', 'redis-3'] }));
          ctx.mark(`cut ${round}`);
          await ctx.target.partition([[master], [...SENTINELS, replicas[0]]]);
          await ctx.hold(3000);
          ctx.mark(`heal ${round}`);
          await ctx.target.heal();
          await ctx.hold(3000);
        }
      } finally {
        await ctx.target.heal();
      }
    },
  },
];
