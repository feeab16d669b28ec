import type { ChaosInstance, ChaosStatus, ChaosTarget } from '../chaos/chaos-target';
import { SCENARIOS, withFrontDoorGrace } from './scenarios';

function instance(id: string, ready: boolean, state = 'running'): ChaosInstance {
  return { id, service: id.split('-')[0], state, pid: 1, zone: null, url: null, restarts: 0, ready };
}

describe('withFrontDoorGrace (the monkey counts a gateway as live once HAProxy routes to it again)', () => {
  it('a gateway is ready only after answering ready for the grace period; other services at once', async () => {
    let instances = [instance('gateway-1', false), instance('likes-1', true)];
    const status = { kind: 'local', url: 'http://x', instances, redis: { master: null, nodes: [] }, trendingLeader: null, breakers: {}, faults: [] } as ChaosStatus;
    const target = { url: 'http://x', status: async () => ({ ...status, instances }) } as unknown as ChaosTarget;
    let clock = 1000;
    const view = withFrontDoorGrace(target, 2000, () => clock);
    const readyOf = async (id: string): Promise<boolean | null> => ((await view.status()).instances.find((i) => i.id === id) as ChaosInstance).ready;

    expect(await readyOf('gateway-1')).toBe(false);
    expect(await readyOf('likes-1')).toBe(true);
    instances = [instance('gateway-1', true), instance('likes-1', true)];
    expect(await readyOf('gateway-1')).toBe(false); // just got ready
    clock += 1999;
    expect(await readyOf('gateway-1')).toBe(false);
    clock += 1;
    expect(await readyOf('gateway-1')).toBe(true);
    // killed again: the grace starts over
    instances = [instance('gateway-1', false, 'held')];
    expect(await readyOf('gateway-1')).toBe(false);
    instances = [instance('gateway-1', true)];
    expect(await readyOf('gateway-1')).toBe(false);
    // the rest of the target is the target's
    expect(view.url).toBe('http://x');
  });
});

describe('scenario definitions', () => {
  it('exempt endpoints only where the contract lets them fail', () => {
    const exempt = Object.fromEntries(SCENARIOS.map((s) => [s.name, s.exempt?.endpoints ?? []]));
    expect(exempt['kill-all-likes']).toEqual(['like', 'unlike']);
    expect(exempt['kill-all-upload']).toEqual(['create']);
    expect(exempt['kill-all-feed']).toEqual([]);
    // writes may fail during a Redis failover (the contract: "resumes after failover"); reads may not
    expect(exempt['redis-master-kill']).toEqual(['like', 'unlike', 'create']);
    expect(exempt['redis-master-stop']).toEqual(['like', 'unlike', 'create']);
    for (const s of SCENARIOS) if (!s.name.startsWith('kill-all-') && !s.name.startsWith('redis-')) expect([s.name, s.exempt]).toEqual([s.name, undefined]);
  });
});
