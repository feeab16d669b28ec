import type { ChaosTarget } from '../chaos/chaos-target';
import { describeZone, zoneDown, zoneUp } from '../chaos/zone-chaos';
import { REDIS_ZONES } from '../redis-placement';
import type { ScenarioDefinition } from './scenario';

/**
 * The service zone to take out: one that runs service instances and does not hold the Redis
 * master (zone-b while redis-1 in zone-a is the master), so the outage costs a replica, a sentinel
 * and half of every service, and no failover. (A zone with the master costs a failover on top:
 * writes then fail for its few seconds, as in redis-master-kill.)
 */
export async function zoneToTakeOut(target: ChaosTarget): Promise<{ zone: string; masterZone: string | undefined }> {
  const status = await target.status();
  const serviceZones = [...new Set(status.instances.map((i) => i.zone).filter((z): z is string => !!z))].sort();
  const data = status.redis.nodes.filter((n) => n.role !== 'sentinel');
  const index = data.findIndex((n) => n.role === 'master' || `${n.host}:${n.port}` === status.redis.master);
  const masterZone = index === -1 ? undefined : (data[index].zone ?? REDIS_ZONES[index]);
  const zone = serviceZones.find((z) => z !== masterZone);
  if (!zone) throw new Error(`no service zone without the Redis master (service zones: ${serviceZones.join(', ') || 'none'}; master in ${masterZone ?? 'unknown'})`);
  return { zone, masterZone };
}

/**
 * `zone-outage`: a whole zone goes dark at once (every service instance in it, its Redis data node
 * and its sentinel: SIGKILL, held down), the platform keeps serving from the other zones (two of
 * three sentinels keep the quorum, the front door and the sidecars' zone-aware balancing send
 * everything to the live zone), then the zone comes back and everything rejoins.
 */
export const ZONE_OUTAGE: ScenarioDefinition = {
  name: 'zone-outage',
  title: 'a whole zone goes dark (its instances, a Redis replica and a sentinel), held down, then back',
  faultMs: { full: 30_000, short: 8000 },
  async fault(ctx) {
    const { zone, masterZone } = await zoneToTakeOut(ctx.target);
    ctx.mark(`${zone} down`);
    const members = await zoneDown(ctx.target, zone);
    ctx.log(`${zone} down (the Redis master is in ${masterZone ?? 'an unknown zone'}): SIGKILL ${describeZone(members)}, held down for ${ctx.faultMs / 1000} s`);
    await ctx.hold(ctx.faultMs);
    ctx.mark(`${zone} up`);
    ctx.log(`${zone} up: revive ${describeZone(members)}`);
    await zoneUp(ctx.target, zone);
  },
};
