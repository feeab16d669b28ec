import type { CallInfo } from '../core/policy';
import type { ServiceInstance } from '../core/instance';
import { isInvalidOptionsError } from '../core/sidecar.error';
import { seededRandom } from './balancer';
import { P2cBalancer } from './p2c.balancer';
import { RoundRobinBalancer } from './round-robin.balancer';
import { selectCandidates } from './select-candidates';
import { type SpilloverEvent, ZoneAwareBalancer } from './zone-aware.balancer';

const inst = (id: string, zone: string): ServiceInstance => ({ id, service: 'svc', address: `${id}.test:1`, zone, weight: 1, metadata: {} });
const call = (): CallInfo => ({ service: 'svc', method: 'Get', idempotent: true, tried: [] });

const view = [inst('a1', 'a'), inst('a2', 'a'), inst('a3', 'a'), inst('a4', 'a'), inst('b1', 'b'), inst('b2', 'b'), inst('x', '')];

function zonesPicked(b: ZoneAwareBalancer, candidates: readonly ServiceInstance[], n = 400): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const z = b.pick(candidates, call(), view)?.zone ?? 'none';
    out[z] = (out[z] ?? 0) + 1;
  }
  return out;
}

describe('ZoneAwareBalancer', () => {
  it('keeps every call in the local zone while it is healthy', () => {
    const b = new ZoneAwareBalancer(new P2cBalancer({ random: seededRandom(1) }), { zone: 'a' });
    expect(zonesPicked(b, view)).toEqual({ a: 400 });
    const other = new ZoneAwareBalancer(new RoundRobinBalancer(), { zone: 'b' });
    expect(zonesPicked(other, view)).toEqual({ b: 400 });
  });

  it('spills over to every zone when no local instance is healthy', () => {
    const ejected = new Set(['a1', 'a2', 'a3', 'a4']);
    const candidates = selectCandidates(view, (id) => ejected.has(id), []);
    const b = new ZoneAwareBalancer(new RoundRobinBalancer({ random: () => 0 }), { zone: 'a' });
    const picked = zonesPicked(b, candidates, 300);
    expect(picked['a']).toBeUndefined();
    expect(picked['b']).toBe(200);
    expect(picked['']).toBe(100);
  });

  it('spills over when too few of the local zone are healthy (minHealthyFraction)', () => {
    const ejected = new Set(['a1', 'a2', 'a3']); // 1 of 4 local healthy = 25 %
    const candidates = selectCandidates(view, (id) => ejected.has(id), []);
    const strict = new ZoneAwareBalancer(new RoundRobinBalancer({ random: () => 0 }), { zone: 'a', minHealthyFraction: 0.5 });
    const picked = zonesPicked(strict, candidates, 400);
    expect(picked['a']).toBe(100); // a4 still takes its share among all 4 candidates
    expect(picked['b']).toBe(200);
    const lenient = new ZoneAwareBalancer(new RoundRobinBalancer(), { zone: 'a', minHealthyFraction: 0.25 });
    expect(zonesPicked(lenient, candidates)).toEqual({ a: 400 });
  });

  it('spills over when fewer than minHealthy local candidates remain', () => {
    const ejected = new Set(['a1', 'a2']);
    const candidates = selectCandidates(view, (id) => ejected.has(id), []);
    const b = new ZoneAwareBalancer(new RoundRobinBalancer(), { zone: 'a', minHealthy: 3, minHealthyFraction: 0 });
    expect(Object.keys(zonesPicked(b, candidates)).sort()).toEqual(['', 'a', 'b']);
    const two = new ZoneAwareBalancer(new RoundRobinBalancer(), { zone: 'a', minHealthy: 2 });
    expect(zonesPicked(two, candidates)).toEqual({ a: 400 });
  });

  it('without a view, stays local while at least minHealthy local candidates exist', () => {
    const b = new ZoneAwareBalancer(new RoundRobinBalancer(), { zone: 'b' });
    const onlyB1 = view.filter((i) => i.id !== 'b2');
    for (let i = 0; i < 10; i++) expect(b.pick(onlyB1, call())?.id).toBe('b1');
    const noB = view.filter((i) => i.zone !== 'b');
    expect(b.pick(noB, call())?.zone).not.toBe('b');
  });

  it('passes everything through when the caller has no zone, and handles no candidates', () => {
    const b = new ZoneAwareBalancer(new RoundRobinBalancer(), { zone: '' });
    expect(Object.keys(zonesPicked(b, view, 70)).sort()).toEqual(['', 'a', 'b']);
    const z = new ZoneAwareBalancer(new RoundRobinBalancer(), { zone: 'a' });
    expect(z.pick([], call(), view)).toBeUndefined();
  });

  it('reports switching to and from spill-over once per transition', () => {
    const b = new ZoneAwareBalancer(new RoundRobinBalancer(), { zone: 'b' });
    const events: SpilloverEvent[] = [];
    const sub = b.onSpillover((e) => events.push(e));
    const noB = view.filter((i) => i.zone !== 'b');
    zonesPicked(b, view, 5);
    zonesPicked(b, noB, 5);
    zonesPicked(b, view, 5);
    expect(events).toEqual([
      { zone: 'b', spilling: true, reason: 'unhealthy', localHealthy: 0, localTotal: 2 },
      { zone: 'b', spilling: false, localHealthy: 2, localTotal: 2 },
    ]);
    sub.dispose();
    zonesPicked(b, noB, 1);
    expect(events).toHaveLength(2);
  });

  describe('load-aware spill-over', () => {
    const a1 = view[0];
    const a2 = view[1];
    const ab = [a1, a2, view[4], view[5]]; // a1, a2 (zone a), b1, b2 (zone b)
    /** Puts `n` calls in flight on `instance`. */
    const load = (b: ZoneAwareBalancer, instance: ServiceInstance, n: number) => {
      for (let i = 0; i < n; i++) b.onStart(instance);
    };
    const finish = (b: ZoneAwareBalancer, instance: ServiceInstance, n: number) => {
      for (let i = 0; i < n; i++) b.onEnd(instance, { ok: true, latencyMs: 1 });
    };

    it('spills over when the local instances carry more than spillLoadFactor x the others\' calls in flight, and comes back when they drain', () => {
      const b = new ZoneAwareBalancer(new RoundRobinBalancer({ random: () => 0 }), { zone: 'a' });
      const events: SpilloverEvent[] = [];
      b.onSpillover((e) => events.push(e));
      load(b, a1, 10);
      load(b, a2, 10); // local mean 10 >= 4 and > 2 x 0
      expect(zonesPicked(b, ab, 40)).toEqual({ a: 20, b: 20 });
      expect(b.outstanding('a1')).toBe(10);
      finish(b, a1, 10);
      finish(b, a2, 10);
      expect(zonesPicked(b, ab, 40)).toEqual({ a: 40 });
      expect(b.outstanding('a1')).toBe(0);
      expect(events).toEqual([
        { zone: 'a', spilling: true, reason: 'busy', localHealthy: 2, localTotal: 4 },
        { zone: 'a', spilling: false, localHealthy: 2, localTotal: 4 },
      ]);
    });

    it('stays local while the other zones are nearly as busy (within the factor)', () => {
      const b = new ZoneAwareBalancer(new RoundRobinBalancer(), { zone: 'a' });
      load(b, a1, 10);
      load(b, a2, 10);
      load(b, view[4], 6);
      load(b, view[5], 6); // 10 <= 2 x 6
      expect(zonesPicked(b, ab, 40)).toEqual({ a: 40 });
      const eager = new ZoneAwareBalancer(new RoundRobinBalancer(), { zone: 'a', spillLoadFactor: 1.5 });
      load(eager, a1, 10);
      load(eager, a2, 10);
      load(eager, view[4], 6);
      load(eager, view[5], 6); // 10 > 1.5 x 6
      expect(Object.keys(zonesPicked(eager, ab, 40)).sort()).toEqual(['a', 'b']);
    });

    it('stays local below spillMinInFlight, and never spills for load with spillLoadFactor Infinity', () => {
      const light = new ZoneAwareBalancer(new RoundRobinBalancer(), { zone: 'a' });
      load(light, a1, 3);
      load(light, a2, 3); // mean 3 < 4
      expect(zonesPicked(light, ab, 40)).toEqual({ a: 40 });
      const off = new ZoneAwareBalancer(new RoundRobinBalancer(), { zone: 'a', spillLoadFactor: Infinity });
      load(off, a1, 100);
      load(off, a2, 100);
      expect(zonesPicked(off, ab, 40)).toEqual({ a: 40 });
    });

    it('with a least-loaded inner balancer, sends the excess to the less busy zone', () => {
      const b = new ZoneAwareBalancer(new P2cBalancer({ random: seededRandom(7) }), { zone: 'a' });
      load(b, a1, 8);
      load(b, a2, 8);
      const picked = zonesPicked(b, ab, 100);
      expect(picked['b']).toBeGreaterThan(picked['a'] ?? 0);
    });

    it('rejects bad load options naming the option and value', () => {
      const inner = new RoundRobinBalancer();
      expect(() => new ZoneAwareBalancer(inner, { zone: 'a', spillLoadFactor: 0.5 })).toThrow('zoneAware.spillLoadFactor must be a number >= 1; got 0.5');
      expect(() => new ZoneAwareBalancer(inner, { zone: 'a', spillMinInFlight: -1 })).toThrow('zoneAware.spillMinInFlight must be a number >= 0; got -1');
    });
  });

  it('forwards onStart/onEnd/shutdown to the inner balancer', () => {
    const inner = new P2cBalancer();
    const b = new ZoneAwareBalancer(inner, { zone: 'a' });
    b.onStart(view[0]);
    expect(inner.tracker.outstanding('a1')).toBe(1);
    b.onEnd(view[0], { ok: true, latencyMs: 2 });
    expect(inner.tracker.outstanding('a1')).toBe(0);
    b.shutdown();
    expect(inner.tracker.size).toBe(0);
  });

  it('rejects bad options naming the option and value', () => {
    const inner = new RoundRobinBalancer();
    expect(() => new ZoneAwareBalancer(inner, { zone: 'a', minHealthyFraction: 1.5 })).toThrow(
      'zoneAware.minHealthyFraction must be a number from 0 to 1; got 1.5',
    );
    expect(() => new ZoneAwareBalancer(inner, { zone: 'a', minHealthy: 0 })).toThrow('zoneAware.minHealthy must be an integer >= 1; got 0');
    expect(() => new ZoneAwareBalancer(inner, { zone: 3 as unknown as string })).toThrow("zoneAware.zone must be a string ('' for none); got 3");
    let error: unknown;
    try {
      new ZoneAwareBalancer({} as unknown as RoundRobinBalancer, { zone: 'a' });
    } catch (e) {
      error = e;
    }
    expect(isInvalidOptionsError(error)).toBe(true);
  });
});
