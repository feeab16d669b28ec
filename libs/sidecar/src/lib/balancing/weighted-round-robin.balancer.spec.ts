import type { CallInfo } from '../core/policy';
import type { ServiceInstance } from '../core/instance';
import { effectiveWeight, WeightedRoundRobinBalancer } from './weighted-round-robin.balancer';

const inst = (id: string, weight: number): ServiceInstance => ({ id, service: 'svc', address: `${id}.test:1`, zone: '', weight, metadata: {} });
const call = (): CallInfo => ({ service: 'svc', method: 'Get', idempotent: true, tried: [] });

describe('WeightedRoundRobinBalancer', () => {
  it('honours weights 3:1 over many picks', () => {
    const b = new WeightedRoundRobinBalancer();
    const view = [inst('a', 3), inst('b', 1)];
    const counts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 4_000; i++) counts[(b.pick(view, call()) as ServiceInstance).id]++;
    expect(counts['a'] / counts['b']).toBeGreaterThan(2.9);
    expect(counts['a'] / counts['b']).toBeLessThan(3.1);
  });

  it('interleaves smoothly (nginx order) instead of sending bursts', () => {
    const b = new WeightedRoundRobinBalancer();
    const view = [inst('a', 5), inst('b', 1), inst('c', 1)];
    const order = Array.from({ length: 7 }, () => b.pick(view, call())?.id).join('');
    expect(order).toBe('aabacaa');
  });

  it('honours fractional and uneven weights over three instances', () => {
    const b = new WeightedRoundRobinBalancer();
    const view = [inst('a', 0.5), inst('b', 1), inst('c', 2.5)];
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 8_000; i++) counts[(b.pick(view, call()) as ServiceInstance).id]++;
    expect(counts['a']).toBeCloseTo(1_000, -2);
    expect(counts['b']).toBeCloseTo(2_000, -2);
    expect(counts['c']).toBeCloseTo(5_000, -2);
  });

  it('treats a missing, zero, negative or non-finite weight as 1', () => {
    expect(effectiveWeight(inst('x', 0))).toBe(1);
    expect(effectiveWeight(inst('x', -2))).toBe(1);
    expect(effectiveWeight(inst('x', NaN))).toBe(1);
    expect(effectiveWeight(inst('x', Infinity))).toBe(1);
    expect(effectiveWeight(inst('x', 4))).toBe(4);
  });

  it('returns undefined when empty, the only candidate when alone', () => {
    const b = new WeightedRoundRobinBalancer();
    expect(b.pick([], call())).toBeUndefined();
    expect(b.pick([inst('a', 9)], call())?.id).toBe('a');
  });

  it('resets its running weights on shutdown', () => {
    const b = new WeightedRoundRobinBalancer();
    const view = [inst('a', 1), inst('b', 1)];
    expect(b.pick(view, call())?.id).toBe('a');
    b.shutdown();
    expect(b.pick(view, call())?.id).toBe('a');
    expect(b.pick(view, call())?.id).toBe('b');
  });
});
