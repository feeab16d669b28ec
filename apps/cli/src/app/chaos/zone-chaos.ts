import { REDIS_ZONES, redisNodeName, sentinelName } from '../redis-placement';
import { ChaosError } from './chaos.error';
import type { ChaosTarget } from './chaos-target';

/** What one zone holds: service instances, Redis data nodes and sentinels. */
export interface ZoneMembers {
  readonly zone: string;
  /** Service instances placed in the zone (`gateway-2`, `likes-2`, ...). */
  readonly instances: readonly string[];
  /** Redis data nodes (`redis-2`). */
  readonly redisNodes: readonly string[];
  /** Sentinels, 0-based (`sentinel-2` is 1). */
  readonly sentinels: readonly number[];
}

/** `gateway-2, likes-2, redis-2, sentinel-2` */
export function describeZone(members: ZoneMembers): string {
  return [...members.instances, ...members.redisNodes, ...members.sentinels.map(sentinelName)].join(', ') || 'nothing';
}

/**
 * Who is in `zone` on `target`: the instances by the zone they run in (`ZONE`), the Redis data
 * nodes and sentinels by their placement (redis-placement.ts). @throws ChaosError NOT_FOUND
 * naming the zones for an unknown one.
 */
export async function zoneMembers(target: ChaosTarget, zone: string): Promise<ZoneMembers> {
  const status = await target.status();
  const zones = [...new Set([...status.instances.map((i) => i.zone).filter((z): z is string => !!z), ...REDIS_ZONES])].sort();
  if (!zones.includes(zone)) throw new ChaosError('NOT_FOUND', `no zone ${JSON.stringify(zone)}; the zones are ${zones.join(', ')}`);
  const dataNodes = status.redis.nodes.filter((n) => n.role !== 'sentinel').length;
  const sentinels = status.redis.nodes.filter((n) => n.role === 'sentinel').length;
  return {
    zone,
    instances: status.instances.filter((i) => i.zone === zone && i.service !== 'haproxy').map((i) => i.id),
    redisNodes: Array.from({ length: dataNodes }, (_, i) => i).filter((i) => REDIS_ZONES[i] === zone).map(redisNodeName),
    sentinels: Array.from({ length: sentinels }, (_, i) => i).filter((i) => REDIS_ZONES[i] === zone),
  };
}

/**
 * Takes zone `zone` out at once: SIGKILLs every instance, Redis data node and sentinel in it and
 * holds them down (nothing is restarted) until {@link zoneUp}. Resolves with what went down.
 */
export async function zoneDown(target: ChaosTarget, zone: string): Promise<ZoneMembers> {
  const members = await zoneMembers(target, zone);
  await Promise.all([
    ...members.instances.map((id) => target.kill(id, 'KILL')),
    ...members.redisNodes.map((node) => target.redisKillNode(node, { hold: true, replicaOnly: false })),
    ...members.sentinels.map((index) => target.killSentinel(index)),
  ]);
  return members;
}

/** Brings zone `zone` back: revives everything in it (a no-op for what runs). Resolves with what was revived. */
export async function zoneUp(target: ChaosTarget, zone: string): Promise<ZoneMembers> {
  const members = await zoneMembers(target, zone);
  await Promise.all([
    ...members.redisNodes.map((node) => target.redisReviveNode(node)),
    ...members.sentinels.map((index) => target.reviveSentinel(index)),
    ...members.instances.map((id) => target.revive(id)),
  ]);
  return members;
}
