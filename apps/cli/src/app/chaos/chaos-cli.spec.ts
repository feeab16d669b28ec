import { UsageError } from '../args';
import { checkTargetSyntax, liveInstances, pickRandom, resolveTarget, runChaos, stamp } from './chaos-cli';
import { ChaosError } from './chaos.error';
import type { ChaosInstance, ChaosStatus } from './chaos-target';
import { NoPlatformError } from '../control/control.client';

function instance(id: string, state = 'running', ready: boolean | null = true): ChaosInstance {
  return { id, service: id === 'haproxy' ? 'haproxy' : id.replace(/-\d+$/, ''), state, pid: 1, zone: 'zone-a', url: null, restarts: 0, ready };
}

const status: ChaosStatus = {
  kind: 'local',
  url: 'http://127.0.0.1:8080',
  instances: ['upload-1', 'upload-2', 'likes-1', 'likes-2', 'feed-1', 'feed-2', 'gateway-1', 'gateway-2', 'haproxy'].map((id) => instance(id)),
  redis: { master: null, nodes: [] },
  trendingLeader: null,
  breakers: {},
  faults: [],
};

describe('chaos command arguments', () => {
  it('resolves a service to all its instances, and an instance in every spelling', () => {
    expect(resolveTarget('failsoft kill', 'likes', status)).toEqual({ service: 'likes', ids: ['likes-1', 'likes-2'], all: true });
    expect(resolveTarget('failsoft kill', 'likes/likes-1', status)).toEqual({ service: 'likes', ids: ['likes-1'], all: false });
    expect(resolveTarget('failsoft kill', 'likes/2', status)).toEqual({ service: 'likes', ids: ['likes-2'], all: false });
    expect(resolveTarget('failsoft kill', 'feed-1', status)).toEqual({ service: 'feed', ids: ['feed-1'], all: false });
    expect(resolveTarget('failsoft kill', 'haproxy', status)).toEqual({ service: 'haproxy', ids: ['haproxy'], all: false });
  });

  it('rejects unknown services and instances with a usage error naming what exists', () => {
    expect(() => resolveTarget('failsoft kill', 'likez', status)).toThrow(UsageError);
    expect(() => resolveTarget('failsoft kill', 'likez', status)).toThrow(/unknown service or instance "likez"; services are upload, likes, feed, gateway, haproxy/);
    expect(() => resolveTarget('failsoft kill', 'likes/likes-3', status)).toThrow(/no instance "likes-3" of service "likes"; the platform runs upload \(upload-1, upload-2\), likes \(likes-1, likes-2\)/);
    expect(() => resolveTarget('failsoft kill', 'likes/feed-1', status)).toThrow(/no instance "feed-1" of service "likes"/);
    expect(() => resolveTarget('failsoft kill', 'likes-9', status)).toThrow(/unknown service or instance "likes-9"/);
    for (const bad of ['', 'likes/likes-1/x', 'likes/', '../etc', 'likes-', 'LIKES']) expect(() => checkTargetSyntax('failsoft kill', bad)).toThrow(UsageError);
    expect(() => checkTargetSyntax('failsoft kill', undefined)).toThrow(/missing <service>\[\/<instance>\]/);
  });

  it('live instances are running and not failing readiness', () => {
    const list = [instance('likes-1'), instance('likes-2', 'held', false), instance('feed-1', 'paused', false), instance('feed-2', 'running', false), instance('upload-1', 'running', null)];
    expect(liveInstances(list).map((i) => i.id)).toEqual(['likes-1', 'upload-1']);
    expect(liveInstances(list, 'feed')).toEqual([]);
  });

  it('picks uniformly from the list with the given random source', () => {
    expect(pickRandom([], () => 0.5)).toBeUndefined();
    expect(pickRandom(['a', 'b', 'c'], () => 0)).toBe('a');
    expect(pickRandom(['a', 'b', 'c'], () => 0.5)).toBe('b');
    expect(pickRandom(['a', 'b', 'c'], () => 0.9999)).toBe('c');
  });

  it('timestamps action lines (UTC, ms)', () => {
    expect(stamp(new Date('2026-01-02T03:04:05.678Z'))).toBe('03:04:05.678');
  });

  it('maps errors to exit codes: usage and unknown names 2, no platform 1, anything else 1', async () => {
    const lines: string[] = [];
    const ctx = { io: { out: (t: string) => lines.push(t), err: (t: string) => lines.push(t) }, workspace: '/ws', entry: 'x', env: {} };
    expect(await runChaos(ctx, 'kill', async () => Promise.reject(new UsageError('failsoft kill: bad')))).toBe(2);
    expect(await runChaos(ctx, 'kill', async () => Promise.reject(new ChaosError('NOT_FOUND', 'no instance "x"')))).toBe(2);
    expect(lines.at(-1)).toMatch(/^failsoft kill: no instance "x"\nNothing was changed/);
    expect(await runChaos(ctx, 'kill', async () => Promise.reject(new NoPlatformError()))).toBe(1);
    expect(lines.at(-1)).toMatch(/start one with `npm start`/);
    expect(await runChaos(ctx, 'redis', async () => Promise.reject(new ChaosError('UNAVAILABLE', 'no sentinel is running')))).toBe(1);
    expect(lines.at(-1)).toBe('failsoft redis: no sentinel is running');
    expect(await runChaos(ctx, 'kill', async () => 0)).toBe(0);
  });
});
