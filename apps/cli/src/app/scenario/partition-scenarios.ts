import type { ChaosTarget } from '../chaos/chaos-target';
import type { FaultContext, ScenarioDefinition } from './scenario';
import { REDIS_FAILOVER_EXEMPTION } from './scenarios';
import { TrendingWatch } from './trending-watch';

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

/** Every Redis data node and sentinel: what an instance is cut from. */
async function everyRedisNode(target: ChaosTarget): Promise<string[]> {
  const { master, replicas } = await redisRoles(target);
  return [master, ...replicas, ...SENTINELS];
}

/**
 * Waits until a feed instance other than `old` holds the trending lease: the lease holder in the
 * status, or a fresh trending result written by another instance under a newer term (seen through
 * the front door, even while the status cannot read Redis in time); null when none took over within `timeoutMs`.
 */
async function waitForTakeover(ctx: FaultContext, watch: TrendingWatch, old: string, timeoutMs: number): Promise<string | null> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const seen = watch.successorOf(old);
    if (seen) return seen;
    const leader = (await ctx.target.status().catch(() => undefined))?.trendingLeader;
    if (leader && leader !== old) return leader;
    await ctx.hold(250);
  }
  return null;
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
  {
    name: 'redis-partition-gateway-cut',
    title: 'partition: one gateway cut from every Redis node and sentinel (the others keep Redis), then heal',
    exempt: REDIS_FAILOVER_EXEMPTION,
    durability: DEFAULT_DURABILITY,
    faultMs: { full: 20_000, short: 8000 },
    async fault(ctx) {
      const [gateway] = await ctx.target.instancesOf('gateway');
      const groups = [[gateway], await everyRedisNode(ctx.target)];
      ctx.mark(`cut ${gateway}`);
      ctx.log(`partition ${groups.map((g) => g.join(',')).join(' | ')} (held ${ctx.faultMs / 1000} s; durability: ${DEFAULT_DURABILITY})`);
      await ctx.target.partition(groups);
      try {
        await ctx.hold(ctx.faultMs / 2);
        const seen = (await ctx.target.status()).instances.find((i) => i.id === gateway);
        ctx.note(`${gateway} ready while cut`, seen?.ready ?? null);
        await ctx.hold(ctx.faultMs / 2);
      } finally {
        ctx.mark('heal');
        ctx.log('heal every link');
        await ctx.target.heal();
      }
    },
  },
  {
    name: 'redis-partition-leader-cut',
    title: 'partition: the feed instance leading the trending job cut from Redis until its lease expires and another takes over, then heal (fencing rejects its late writes)',
    exempt: REDIS_FAILOVER_EXEMPTION,
    durability: DEFAULT_DURABILITY,
    faultMs: { full: 30_000, short: 20_000 },
    async fault(ctx) {
      const leader = (await ctx.target.status()).trendingLeader;
      if (!leader) throw new Error('no feed instance holds the trending lease (failsoft status: trending leader none); is feed running?');
      const groups = [[leader], await everyRedisNode(ctx.target)];
      const watch = new TrendingWatch(ctx.target.url);
      ctx.mark(`cut ${leader}`);
      ctx.log(`partition ${groups.map((g) => g.join(',')).join(' | ')} until another feed instance takes the trending lease (at most ${ctx.faultMs / 1000} s)`);
      const cutAt = Date.now();
      let successor: string | null = null;
      await ctx.target.partition(groups);
      try {
        successor = await waitForTakeover(ctx, watch, leader, ctx.faultMs);
        ctx.note('takeover', successor !== null);
        ctx.note('takeoverSeconds', successor ? Math.round((Date.now() - cutAt) / 100) / 10 : null);
        ctx.note('successor', successor);
        if (successor) {
          ctx.mark(`${successor} leads`);
          ctx.log(`${successor} took the trending lease ${((Date.now() - cutAt) / 1000).toFixed(1)} s after the cut; ${leader} stays cut 3 s more`);
          await ctx.hold(3000);
        }
      } finally {
        ctx.mark('heal');
        ctx.log(`heal every link: ${leader}'s late writes reach Redis now`);
        await ctx.target.heal();
      }
      await ctx.hold(6000); // past the job's interval (5 s): a late or resumed write of the old leader would be served by now
      const seen = await watch.stop();
      ctx.note('trendingReads', seen.reads);
      ctx.note('staleTrendingResults', seen.stale);
      ctx.note('terms', seen.terms.join(' '));
      if (!successor) throw new Error(`no other feed instance took the trending lease within ${ctx.faultMs / 1000} s of cutting ${leader} from Redis`);
      if (seen.stale > 0) throw new Error(`fencing let a stale trending result through: ${seen.firstStale}`);
    },
  },
];
