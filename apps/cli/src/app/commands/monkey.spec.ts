import type { ChaosInstance, ChaosSignal, ChaosStatus, ChaosTarget } from '../chaos/chaos-target';
import { runMonkey } from './monkey';

/** An in-memory platform of 2 instances per service that checks the monkey's promise on every kill. */
function platform(services: string[]) {
  const states = new Map<string, string>(services.flatMap((s) => [`${s}-1`, `${s}-2`].map((id) => [id, 'running'] as const)));
  const lowest = new Map<string, number>(services.map((s) => [s, 2]));
  const log: string[] = [];
  const live = (service: string): number => [...states].filter(([id, state]) => id.startsWith(`${service}-`) && state === 'running').length;
  const notUsed = async (): Promise<never> => {
    throw new Error('not used by the monkey');
  };
  const target: ChaosTarget = {
    kind: 'local',
    url: 'http://memory',
    status: async (): Promise<ChaosStatus> => ({
      kind: 'local',
      url: 'http://memory',
      instances: [...states].map(([id, state]): ChaosInstance => ({ id, service: id.replace(/-\d$/, ''), state, pid: null, zone: null, url: null, restarts: 0, ready: state === 'running' })),
      redis: { master: null, nodes: [] },
      trendingLeader: null,
      breakers: {},
      faults: [],
    }),
    instancesOf: notUsed,
    kill: async (id: string, signal: ChaosSignal) => {
      states.set(id, signal === 'STOP' ? 'paused' : 'held');
      const service = id.replace(/-\d$/, '');
      lowest.set(service, Math.min(lowest.get(service) ?? 2, live(service)));
      log.push(`kill ${id}`);
    },
    revive: async (id: string) => {
      states.set(id, 'running');
      log.push(`revive ${id}`);
    },
    redisFailover: notUsed,
    redisKillMaster: notUsed,
    redisPauseMaster: notUsed,
    redisResume: notUsed,
    redisKillNode: notUsed,
    redisReviveNode: notUsed,
    killSentinel: notUsed,
    partition: notUsed,
    heal: notUsed,
    reviveSentinel: notUsed,
    addFault: notUsed,
    removeFault: notUsed,
    listFaults: notUsed,
    waitForHealthy: notUsed,
  };
  return { target, states, lowest, log };
}

function io() {
  const lines: string[] = [];
  return { lines, io: { out: (t: string) => lines.push(t), err: (t: string) => lines.push(`ERR ${t}`) } };
}

describe('runMonkey', () => {
  it('kills and revives, never leaves a service without a live instance, and ends with everything back', async () => {
    const p = platform(['likes', 'feed']);
    const out = io();
    const result = await runMonkey(p.target, { everyMs: 20, forMs: 400, downMs: 200, services: ['likes', 'feed'], allowZero: false, signal: 'KILL' }, out.io);
    expect(result.kills).toBeGreaterThanOrEqual(2);
    expect(result.revives).toBe(result.kills);
    expect(result.notRevived).toEqual([]);
    // down for 10 ticks each: the monkey ran out of candidates and skipped rather than kill a last instance
    expect(result.skipped).toBeGreaterThan(0);
    expect(Math.min(...p.lowest.values())).toBe(1);
    expect([...p.states.values()].every((s) => s === 'running')).toBe(true);
    expect(out.lines.filter((l) => / kill (likes|feed)-\d/.test(l))).toHaveLength(result.kills);
    expect(out.lines.every((l) => /^\d\d:\d\d:\d\d\.\d{3} /.test(l))).toBe(true);
  });

  it('with allowZero it may take a service to zero, and still revives everything', async () => {
    const p = platform(['likes']);
    const result = await runMonkey(p.target, { everyMs: 20, forMs: 300, downMs: 1000, services: ['likes'], allowZero: true, signal: 'STOP' }, io().io);
    expect(p.lowest.get('likes')).toBe(0);
    expect(result.kills).toBe(2);
    expect([...p.states.values()]).toEqual(['running', 'running']);
  });

  it('an abort (Ctrl-C) ends the run early and revives what it killed', async () => {
    const p = platform(['likes', 'upload']);
    const abort = new AbortController();
    const out = io();
    const running = runMonkey(p.target, { everyMs: 10, forMs: 60_000, downMs: 60_000, services: ['likes', 'upload'], allowZero: false, signal: 'KILL', signalAbort: abort.signal }, out.io);
    const until = Date.now() + 10_000;
    while (!p.log.some((l) => l.startsWith('kill')) && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    abort.abort();
    const result = await running;
    expect(result.kills).toBeGreaterThanOrEqual(1);
    expect(result.notRevived).toEqual([]);
    expect([...p.states.values()].every((s) => s === 'running')).toBe(true);
    expect(out.lines.some((l) => /monkey: interrupted/.test(l))).toBe(true);
  });
});
