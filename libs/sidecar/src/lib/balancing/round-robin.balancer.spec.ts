import type { CallInfo } from '../core/policy';
import type { ServiceInstance } from '../core/instance';
import { RoundRobinBalancer } from './round-robin.balancer';

const inst = (id: string): ServiceInstance => ({ id, service: 'svc', address: `${id}.test:1`, zone: '', weight: 1, metadata: {} });
const call = (): CallInfo => ({ service: 'svc', method: 'Get', idempotent: true, tried: [] });

describe('RoundRobinBalancer', () => {
  const abc = [inst('a'), inst('b'), inst('c')];

  it('cycles through the candidates in order', () => {
    const b = new RoundRobinBalancer({ random: () => 0 });
    const ids = Array.from({ length: 7 }, () => b.pick(abc, call())?.id);
    expect(ids).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('starts at a random position so that many clients do not all hit the first instance', () => {
    const starts = new Set<string | undefined>();
    for (const r of [0, 0.3, 0.5, 0.9]) starts.add(new RoundRobinBalancer({ random: () => r }).pick(abc, call())?.id);
    expect(starts.size).toBeGreaterThan(1);
  });

  it('copes with the candidate list changing size and returns undefined when empty', () => {
    const b = new RoundRobinBalancer({ random: () => 0 });
    expect(b.pick([], call())).toBeUndefined();
    const seen = new Set(Array.from({ length: 4 }, () => b.pick(abc.slice(0, 2), call())?.id));
    expect(seen).toEqual(new Set(['a', 'b']));
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 300; i++) counts[(b.pick(abc, call()) as ServiceInstance).id]++;
    expect(counts).toEqual({ a: 100, b: 100, c: 100 });
  });

  it('keeps outstanding counts for telemetry', () => {
    const b = new RoundRobinBalancer();
    b.onStart(abc[0]);
    expect(b.tracker.outstanding('a')).toBe(1);
    b.onEnd(abc[0], { ok: true, latencyMs: 1 });
    expect(b.tracker.outstanding('a')).toBe(0);
    b.shutdown();
    expect(b.tracker.size).toBe(0);
  });
});
