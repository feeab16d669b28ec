import { zoneToTakeOut } from '../scenario/zone-outage.scenario';
import type { ChaosInstance, ChaosRedisNode, ChaosStatus, ChaosTarget } from './chaos-target';
import { describeZone, zoneDown, zoneUp } from './zone-chaos';

/** A recording target: services in zone-a and zone-b, three data nodes and three sentinels. */
function target(masterPort = 7001) {
  const calls: string[] = [];
  const instances: ChaosInstance[] = ['gateway', 'likes'].flatMap((service) =>
    [1, 2].map((n) => ({ id: `${service}-${n}`, service, state: 'running', pid: null, zone: n === 1 ? 'zone-a' : 'zone-b', url: null, restarts: 0, ready: true })),
  );
  instances.push({ id: 'haproxy', service: 'haproxy', state: 'running', pid: null, zone: null, url: null, restarts: 0, ready: true });
  const nodes: ChaosRedisNode[] = [
    ...[7001, 7002, 7003].map((port): ChaosRedisNode => ({ host: '127.0.0.1', port, pid: null, role: port === masterPort ? 'master' : 'replica', state: 'running' })),
    ...[26001, 26002, 26003].map((port): ChaosRedisNode => ({ host: '127.0.0.1', port, pid: null, role: 'sentinel', state: 'running' })),
  ];
  const status: ChaosStatus = { kind: 'local', url: 'http://memory', instances, redis: { master: `127.0.0.1:${masterPort}`, nodes }, trendingLeader: null, breakers: {}, faults: [] };
  const record = (line: string) => async (): Promise<void> => void calls.push(line);
  const t = {
    status: async () => status,
    kill: async (id: string, signal: string) => void calls.push(`kill ${id} ${signal}`),
    revive: async (id: string) => void calls.push(`revive ${id}`),
    redisKillNode: async (node: string, options: { hold: boolean }) => {
      calls.push(`kill-node ${node} hold=${options.hold}`);
      return node;
    },
    redisReviveNode: async (node: string) => {
      calls.push(`revive-node ${node}`);
      return node;
    },
    killSentinel: async (index: number) => void calls.push(`kill-sentinel ${index}`),
    reviveSentinel: async (index: number) => void calls.push(`revive-sentinel ${index}`),
    redisResume: record('resume'),
  } as unknown as ChaosTarget;
  return { target: t, calls };
}

describe('zone chaos', () => {
  it('takes out every instance, the data node and the sentinel of a zone, held down; and brings them back', async () => {
    const { target: t, calls } = target();
    const down = await zoneDown(t, 'zone-b');
    expect(describeZone(down)).toBe('gateway-2, likes-2, redis-2, sentinel-2');
    expect(calls.sort()).toEqual(['kill gateway-2 KILL', 'kill likes-2 KILL', 'kill-node redis-2 hold=true', 'kill-sentinel 1']);
    calls.length = 0;
    await zoneUp(t, 'zone-b');
    expect(calls.sort()).toEqual(['revive gateway-2', 'revive likes-2', 'revive-node redis-2', 'revive-sentinel 1']);
  });

  it('the witness zone holds only Redis: a data node and a sentinel', async () => {
    const { target: t } = target();
    expect(describeZone(await zoneDown(t, 'zone-c'))).toBe('redis-3, sentinel-3');
  });

  it('refuses an unknown zone naming the zones, and does nothing', async () => {
    const { target: t, calls } = target();
    await expect(zoneDown(t, 'zone-x')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no zone "zone-x"; the zones are zone-a, zone-b, zone-c' });
    await expect(zoneUp(t, '')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(calls).toEqual([]);
  });

  it('zone-outage takes a service zone without the Redis master', async () => {
    expect(await zoneToTakeOut(target(7001).target)).toEqual({ zone: 'zone-b', masterZone: 'zone-a' });
    expect(await zoneToTakeOut(target(7002).target)).toEqual({ zone: 'zone-a', masterZone: 'zone-b' });
    expect(await zoneToTakeOut(target(7003).target)).toEqual({ zone: 'zone-a', masterZone: 'zone-c' });
  });
});
