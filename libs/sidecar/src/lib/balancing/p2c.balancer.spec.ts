import type { CallInfo } from '../core/policy';
import type { ServiceInstance } from '../core/instance';
import { isInvalidOptionsError } from '../core/sidecar.error';
import { type Balancer, LoadTracker, seededRandom } from './balancer';
import { P2cBalancer } from './p2c.balancer';
import { RoundRobinBalancer } from './round-robin.balancer';

const inst = (id: string): ServiceInstance => ({ id, service: 'svc', address: `${id}.test:1`, zone: '', weight: 1, metadata: {} });
const call = (): CallInfo => ({ service: 'svc', method: 'Get', idempotent: true, tried: [] });

/** A min-heap of completion events for the discrete-event simulation. */
class Completions {
  private items: Array<{ at: number; instance: ServiceInstance; latency: number }> = [];
  get size(): number {
    return this.items.length;
  }
  peek(): { at: number; instance: ServiceInstance; latency: number } {
    return this.items[0];
  }
  push(item: { at: number; instance: ServiceInstance; latency: number }): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p].at <= a[i].at) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): { at: number; instance: ServiceInstance; latency: number } {
    const a = this.items;
    const top = a[0];
    const last = a.pop() as (typeof a)[number];
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l].at < a[m].at) m = l;
        if (r < a.length && a[r].at < a[m].at) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

interface SimOptions {
  readonly requests: number;
  /** Time between arrivals in ms; 0 = sequential (next call starts when the previous ends). */
  readonly interArrivalMs: number;
  readonly latencyMs: Record<string, number>;
}

/**
 * Runs a discrete-event simulation on a virtual clock: calls arrive, the balancer picks, each
 * call takes the instance's latency (±20 % jitter); returns the share of calls per instance.
 */
function simulate(make: (now: () => number) => Balancer, instances: ServiceInstance[], o: SimOptions): Record<string, number> {
  let now = 0;
  const balancer = make(() => now);
  const jitter = seededRandom(7);
  const pending = new Completions();
  const counts: Record<string, number> = Object.fromEntries(instances.map((i) => [i.id, 0]));
  const c = call();
  for (let k = 0; k < o.requests; k++) {
    const arrival = o.interArrivalMs === 0 ? now : k * o.interArrivalMs;
    while (pending.size > 0 && (o.interArrivalMs === 0 || pending.peek().at <= arrival)) {
      const done = pending.pop();
      now = done.at;
      balancer.onEnd?.(done.instance, { ok: true, latencyMs: done.latency });
    }
    now = Math.max(now, arrival);
    const chosen = balancer.pick(instances, c) as ServiceInstance;
    counts[chosen.id]++;
    balancer.onStart?.(chosen);
    const latency = o.latencyMs[chosen.id] * (0.8 + 0.4 * jitter());
    pending.push({ at: now + latency, instance: chosen, latency });
  }
  return Object.fromEntries(Object.entries(counts).map(([id, n]) => [id, n / o.requests]));
}

describe('P2cBalancer', () => {
  const three = [inst('a'), inst('b'), inst('c')];

  it('returns undefined without candidates and the only one when there is one', () => {
    const b = new P2cBalancer({ random: seededRandom(1) });
    expect(b.pick([], call())).toBeUndefined();
    expect(b.pick([three[1]], call())).toBe(three[1]);
  });

  it('always compares two distinct candidates, even when random returns the same number twice', () => {
    const tracker = new LoadTracker();
    tracker.start('a'); // a is busier: any pair containing b must choose b
    const b = new P2cBalancer({ random: () => 0, tracker });
    expect(b.pick([inst('a'), inst('b')], call())?.id).toBe('b');
    const high = new P2cBalancer({ random: () => 0.999999, tracker });
    expect(high.pick([inst('b'), inst('a')], call())?.id).toBe('b');
  });

  it('prefers the least loaded instance', () => {
    const tracker = new LoadTracker();
    const b = new P2cBalancer({ random: seededRandom(3), tracker });
    for (let i = 0; i < 5; i++) tracker.start('a');
    for (let i = 0; i < 2; i++) tracker.start('b');
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 3000; i++) counts[(b.pick(three, call()) as ServiceInstance).id]++;
    // c (idle) wins every pair it is in (2/3 of pairs); a (busiest) never wins
    expect(counts['a']).toBe(0);
    expect(counts['c'] / 3000).toBeGreaterThan(0.6);
    expect(counts['b'] / 3000).toBeGreaterThan(0.25);
  });

  it('spreads evenly over equal instances', () => {
    const b = new P2cBalancer({ random: seededRandom(11) });
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 3000; i++) counts[(b.pick(three, call()) as ServiceInstance).id]++;
    for (const id of ['a', 'b', 'c']) expect(Math.abs(counts[id] / 3000 - 1 / 3)).toBeLessThan(0.05);
  });

  const latencyMs = { a: 10, b: 10, c: 100 };

  it('sends clearly less traffic to one slow instance of three under concurrency', () => {
    const share = simulate((now) => new P2cBalancer({ random: seededRandom(5), now }), three, {
      requests: 20_000,
      interArrivalMs: 2, // ~5 calls in flight on a fast instance, far more on the slow one
      latencyMs,
    });
    expect(share['c']).toBeLessThan(0.12);
    expect(share['a']).toBeGreaterThan(0.4);
    expect(share['b']).toBeGreaterThan(0.4);
  });

  it('sends clearly less traffic to one slow instance of three at concurrency 1', () => {
    const share = simulate((now) => new P2cBalancer({ random: seededRandom(6), now }), three, {
      requests: 5_000,
      interArrivalMs: 0, // sequential: outstanding is always 0, only latency can tell them apart
      latencyMs,
    });
    expect(share['c']).toBeLessThan(0.05);
  });

  it('(control) round-robin in the same simulation gives the slow instance its full third', () => {
    const share = simulate((now) => new RoundRobinBalancer({ random: () => 0, tracker: new LoadTracker({ now }) }), three, {
      requests: 6_000,
      interArrivalMs: 0,
      latencyMs,
    });
    expect(share['c']).toBeCloseTo(1 / 3, 2);
  });

  it('probes a once-slow instance again and shifts traffic back once it is fast again', () => {
    let now = 0;
    const tracker = new LoadTracker({ now: () => now, decayMs: 1_000 });
    const b = new P2cBalancer({ random: seededRandom(9), tracker });
    const run = (ms: number, latency: Record<string, number>): Record<string, number> => {
      const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
      for (const end = now + ms; now < end; ) {
        const chosen = b.pick(three, call()) as ServiceInstance;
        counts[chosen.id]++;
        b.onStart(chosen);
        now += latency[chosen.id];
        b.onEnd(chosen, { ok: true, latencyMs: latency[chosen.id] });
      }
      return counts;
    };
    run(5_000, { a: 10, b: 10, c: 500 }); // c was slow
    expect(tracker.latencyMs('c')).toBeGreaterThan(100);
    const healed = run(30_000, { a: 10, b: 10, c: 10 }); // c healed; its idle estimate decays
    expect(healed['c']).toBeGreaterThan(0.2 * (healed['a'] + healed['b'] + healed['c']));
  });

  it('updates its tracker on start/end and clears it on shutdown', () => {
    const b = new P2cBalancer();
    b.onStart(three[0]);
    expect(b.tracker.outstanding('a')).toBe(1);
    b.onEnd(three[0], { ok: true, latencyMs: 3 });
    expect(b.tracker.outstanding('a')).toBe(0);
    expect(b.tracker.latencyMs('a')).toBeGreaterThan(0);
    b.shutdown();
    expect(b.tracker.size).toBe(0);
  });

  it('rejects a random that is not a function', () => {
    let error: unknown;
    try {
      new P2cBalancer({ random: 0.5 as unknown as () => number });
    } catch (e) {
      error = e;
    }
    expect(isInvalidOptionsError(error)).toBe(true);
    expect((error as Error).message).toBe('p2c.random must be a function returning a number in [0, 1); got 0.5');
  });
});
