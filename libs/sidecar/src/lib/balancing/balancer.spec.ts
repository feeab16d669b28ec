import { isInvalidOptionsError } from '../core/sidecar.error';
import { LoadTracker, seededRandom } from './balancer';
import type { ServiceInstance } from '../core/instance';

const inst = (id: string): ServiceInstance => ({ id, service: 'svc', address: `${id}.test:1`, zone: '', weight: 1, metadata: {} });

describe('LoadTracker', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => (now = 1_000));

  it('counts outstanding requests per instance and never goes below zero', () => {
    const t = new LoadTracker({ now: clock });
    t.start('a');
    t.start('a');
    t.start('b');
    expect(t.outstanding('a')).toBe(2);
    expect(t.outstanding('b')).toBe(1);
    t.end('a', true, 5);
    expect(t.outstanding('a')).toBe(1);
    t.end('b', true, 5);
    t.end('b', true, 5);
    expect(t.outstanding('b')).toBe(0);
    expect(t.outstanding('never-seen')).toBe(0);
  });

  it('keeps a peak-EWMA latency: jumps up at once, comes down gradually, decays when idle', () => {
    const t = new LoadTracker({ now: clock, decayMs: 1_000 });
    t.start('a');
    t.end('a', true, 10);
    expect(t.latencyMs('a')).toBeCloseTo(10);
    t.start('a');
    t.end('a', true, 100);
    expect(t.latencyMs('a')).toBeCloseTo(100); // peak
    now += 100;
    t.start('a');
    t.end('a', true, 10);
    const after = t.latencyMs('a');
    expect(after).toBeLessThan(100);
    expect(after).toBeGreaterThan(10);
    now += 10_000; // idle for 10 time constants
    expect(t.latencyMs('a')).toBeLessThan(0.01);
  });

  it('costs: unknown = 0, in flight without any answer = penalty, else (latency + 1) x (outstanding + 1)', () => {
    const t = new LoadTracker({ now: clock });
    expect(t.cost('x')).toBe(0);
    t.start('x');
    expect(t.cost('x')).toBeGreaterThan(1e6);
    t.end('x', true, 9);
    expect(t.cost('x')).toBeCloseTo(10);
    t.start('x');
    t.start('x');
    expect(t.cost('x')).toBeCloseTo(30);
  });

  it('records failures with a penalty so a fast-failing instance does not look cheap', () => {
    const t = new LoadTracker({ now: clock, failurePenalty: 2 });
    t.start('a');
    t.end('a', true, 20);
    t.start('a');
    t.end('a', false, 1);
    expect(t.latencyMs('a')).toBeCloseTo(40);
    const off = new LoadTracker({ now: clock, failurePenalty: 1 });
    off.start('a');
    off.end('a', true, 20);
    off.start('a');
    off.end('a', false, 1);
    expect(off.latencyMs('a')).toBeLessThanOrEqual(20);
  });

  it('retain() forgets instances that left the view unless requests are still in flight', () => {
    const t = new LoadTracker({ now: clock });
    t.start('a');
    t.end('a', true, 1);
    t.start('b');
    t.end('b', true, 1);
    t.start('gone-busy');
    t.retain([inst('a')]);
    expect(t.size).toBe(2);
    expect(t.latencyMs('b')).toBe(0);
    expect(t.outstanding('gone-busy')).toBe(1);
    t.shutdown();
    expect(t.size).toBe(0);
  });

  it('rejects bad options naming the option and value', () => {
    expect(() => new LoadTracker({ decayMs: 0 })).toThrow('loadTracker.decayMs must be a number >= 1; got 0');
    expect(() => new LoadTracker({ failurePenalty: 0.5 })).toThrow('loadTracker.failurePenalty must be a number >= 1; got 0.5');
    let error: unknown;
    try {
      new LoadTracker({ now: 5 as unknown as () => number });
    } catch (e) {
      error = e;
    }
    expect(isInvalidOptionsError(error)).toBe(true);
    expect((error as Error).message).toBe('loadTracker.now must be a function returning milliseconds; got 5');
  });
});

describe('seededRandom', () => {
  it('is deterministic per seed and stays within [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c())).not.toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});
