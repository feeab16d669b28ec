import { UsageError } from '../args';
import { chaosTargetFor, COMPOSE_FLAG, runChaos, stamp } from '../chaos/chaos-cli';
import { SERVICE_NAMES } from '../topology';
import type { Command } from './command';

/** Names a partition group may hold: nodes, service instances (`gateway-1`), `clients` (checked again, against the running platform, by the target). */
const NODE_NAME = new RegExp(`^(redis-\\d{1,2}|sentinel-\\d{1,2}|(${SERVICE_NAMES.join('|')})-\\d{1,2}|clients)$`);

/**
 * The groups of `failsoft partition redis-1 sentinel-1,sentinel-2,redis-2`: each word a
 * comma-separated list of node names.
 * @throws UsageError naming the bad word or name (nothing is cut then).
 */
export function parseGroups(words: readonly string[]): string[][] {
  if (words.length < 2) throw new UsageError(`failsoft partition: give at least 2 groups (e.g. failsoft partition redis-1 sentinel-1,sentinel-2,sentinel-3,redis-2); got ${words.length}`);
  const seen = new Set<string>();
  return words.map((word) => {
    const names = word.split(',').map((n) => n.trim());
    for (const name of names) {
      if (!NODE_NAME.test(name)) throw new UsageError(`failsoft partition: unknown node ${JSON.stringify(name)} in ${JSON.stringify(word)}; nodes are redis-1.., sentinel-1.., service instances (${SERVICE_NAMES.map((n) => `${n}-1`).join(', ')}..) and clients (every other service instance and this CLI)`);
      if (seen.has(name)) throw new UsageError(`failsoft partition: node ${JSON.stringify(name)} is in two groups`);
      seen.add(name);
    }
    return names;
  });
}

const GROUPS = ['a', 'b', 'c', 'd'] as const;

/** `failsoft partition <a,b> <c,d> [...]`: cuts the links between the groups. */
export const partitionCommand: Command = {
  name: 'partition',
  summary: 'cut the network links between groups of Redis nodes, sentinels, service instances and clients',
  usage: 'failsoft partition <group> <group> [<group> <group>]',
  positionals: GROUPS.map((name, i) => ({ name: `group-${name}`, valueName: '<n1,n2..>', description: `group ${i + 1}: node names, comma-separated`, required: i < 2 })),
  details: [
    'Nodes: redis-1, redis-2, redis-3 (data nodes), sentinel-1, sentinel-2, sentinel-3, a service instance as failsoft status',
    'shows it (gateway-1, feed-2..), clients (every service instance not named in the groups, and this CLI).',
    'Every link between a node of one group and a node of another is cut: its connections are reset at once and new ones',
    'refused, until `failsoft heal`. Unlisted nodes keep every link. Cuts add up.',
    'npm start: the relays in front of every Redis node and sentinel cut (FAILSOFT_RELAYS=on). --compose: iptables rules in',
    'each container concerned, set by a throwaway cutter (deploy/netcut, built on first use); a restarted container comes back uncut.',
    'Example (master isolated from the sentinels and one replica): failsoft partition redis-1 sentinel-1,sentinel-2,sentinel-3,redis-2',
    'Example (one gateway cut from Redis): failsoft partition gateway-1 redis-1,redis-2,redis-3,sentinel-1,sentinel-2,sentinel-3',
  ],
  flags: [COMPOSE_FLAG],
  async run(flags, ctx) {
    return runChaos(ctx, 'partition', async () => {
      const words = GROUPS.map((g) => flags[`group-${g}`]).filter((w): w is string => typeof w === 'string');
      const groups = parseGroups(words);
      const cut = await chaosTargetFor(flags, ctx).partition(groups);
      ctx.io.out(`${stamp()} cut ${groups.map((g) => g.join(',')).join(' | ')}; links cut now: ${cut.join(' ') || 'none'}; heal with: failsoft heal`);
      return 0;
    });
  },
};

/** `failsoft heal`: heals every cut link. */
export const healCommand: Command = {
  name: 'heal',
  summary: 'heal every link cut by failsoft partition',
  usage: 'failsoft heal',
  flags: [COMPOSE_FLAG],
  async run(flags, ctx) {
    return runChaos(ctx, 'heal', async () => {
      await chaosTargetFor(flags, ctx).heal();
      ctx.io.out(`${stamp()} healed every link`);
      return 0;
    });
  },
};
