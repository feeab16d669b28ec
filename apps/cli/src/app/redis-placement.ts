import { REDIS } from './topology';

/**
 * Zones of the Redis data nodes and the sentinels, by index: `redis-1` and `sentinel-1` in zone-a,
 * `redis-2` and `sentinel-2` in zone-b, `redis-3` and `sentinel-3` in zone-c. Three zones for three
 * sentinels, so the loss of any one zone keeps two sentinels: the quorum (2) and the majority a
 * failover needs. zone-c runs no service instance (services alternate over zone-a and zone-b): it
 * is the witness zone that breaks the tie. The same placement in npm start, docker compose (the
 * `zone` labels) and Kubernetes (topology spread over `topology.kubernetes.io/zone`).
 */
export const REDIS_ZONES: readonly string[] = ['zone-a', 'zone-b', 'zone-c'];

/** `redis-1` for data node index 0 (the first master). */
export function redisNodeName(index: number): string {
  return `redis-${index + 1}`;
}

/** `sentinel-1` for sentinel index 0. */
export function sentinelName(index: number): string {
  return `sentinel-${index + 1}`;
}

/** The zone of data node or sentinel `index` (0-based). */
export function redisZone(index: number): string {
  return REDIS_ZONES[index % REDIS_ZONES.length];
}

/**
 * The index (0-based) of the data node `name` names: `redis-2`, `2` (1-based, as printed), or a
 * port among `ports`. @throws RangeError naming the known nodes.
 */
export function redisNodeIndex(name: string, ports: readonly number[]): number {
  const known = ports.map((port, i) => `${redisNodeName(i)} (:${port})`).join(', ');
  const byName = /^(?:redis-)?(\d{1,2})$/.exec(name.trim());
  if (byName && Number(byName[1]) >= 1 && Number(byName[1]) <= ports.length) return Number(byName[1]) - 1;
  const byPort = /^(?:[\w.-]*:)?(\d{2,5})$/.exec(name.trim());
  if (byPort && ports.includes(Number(byPort[1]))) return ports.indexOf(Number(byPort[1]));
  throw new RangeError(`no Redis data node ${JSON.stringify(name)}; the data nodes are ${known}`);
}

/** Zones that the data nodes and sentinels of {@link REDIS} are placed in (every name of REDIS_ZONES is used). */
export function redisPlacement(): Array<{ name: string; role: 'data' | 'sentinel'; zone: string }> {
  const data = Array.from({ length: REDIS.replicas + 1 }, (_, i) => ({ name: redisNodeName(i), role: 'data' as const, zone: redisZone(i) }));
  const sentinels = Array.from({ length: REDIS.sentinels }, (_, i) => ({ name: sentinelName(i), role: 'sentinel' as const, zone: redisZone(i) }));
  return [...data, ...sentinels];
}
