import { REDIS_ZONES, redisNodeIndex, redisPlacement } from './redis-placement';
import { REDIS, zoneNames } from './topology';

describe('Redis placement over zones', () => {
  it('keeps a sentinel quorum when any one zone is lost', () => {
    const placement = redisPlacement();
    const sentinels = placement.filter((p) => p.role === 'sentinel');
    expect(sentinels).toHaveLength(REDIS.sentinels);
    for (const zone of REDIS_ZONES) {
      const left = sentinels.filter((s) => s.zone !== zone).length;
      expect({ zone, left, quorum: left >= REDIS.quorum, majority: left > REDIS.sentinels / 2 }).toEqual({ zone, left, quorum: true, majority: true });
      // and at least one data node survives to be promoted
      expect(placement.filter((p) => p.role === 'data' && p.zone !== zone).length).toBeGreaterThanOrEqual(2);
    }
    // the service zones are the first two of them; zone-c is the witness
    expect(REDIS_ZONES.slice(0, 2)).toEqual(zoneNames(2));
  });

  it('finds a data node by name, number or port, and names the nodes for a bad one', () => {
    const ports = [7001, 7002, 7003];
    expect([redisNodeIndex('redis-2', ports), redisNodeIndex('3', ports), redisNodeIndex('7001', ports), redisNodeIndex('127.0.0.1:7003', ports)]).toEqual([1, 2, 0, 2]);
    expect(() => redisNodeIndex('redis-4', ports)).toThrow('no Redis data node "redis-4"; the data nodes are redis-1 (:7001), redis-2 (:7002), redis-3 (:7003)');
    expect(() => redisNodeIndex('sentinel-1', ports)).toThrow(/no Redis data node "sentinel-1"/);
    expect(() => redisNodeIndex('9999', ports)).toThrow(/no Redis data node "9999"/);
  });
});
