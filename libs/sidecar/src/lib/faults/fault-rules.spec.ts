import { status } from '@grpc/grpc-js';
import { FaultRules, INJECTED_FAULT } from './fault-rules';

/** A deterministic random source: a 32-bit LCG seeded with `seed`. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('FaultRules', () => {
  it('decides nothing when there are no rules, without touching the random source', () => {
    const random = jest.fn(() => 0);
    const rules = new FaultRules({ random });
    expect(rules.decide('likes', 'Like')).toBeUndefined();
    expect(random).not.toHaveBeenCalled();
  });

  it('aborts exactly the calls whose roll is below the percentage', () => {
    const rolls = [0.1, 0.6, 0.49, 0.5, 0.99, 0.0];
    const rules = new FaultRules({ random: () => rolls.shift() ?? 1, rules: [{ id: 'half', service: 'likes', abortPercent: 50 }] });
    const outcomes = Array.from({ length: 6 }, () => rules.decide('likes', 'Like')?.abort !== undefined);
    expect(outcomes).toEqual([true, false, true, false, false, true]);
  });

  it('aborts about half of 1000 calls at 50% with a seeded random', () => {
    const rules = new FaultRules({ random: seeded(42), rules: [{ id: 'half', service: 'likes', abortPercent: 50 }] });
    let aborted = 0;
    for (let i = 0; i < 1000; i++) if (rules.decide('likes', 'Like')?.abort) aborted++;
    expect(aborted).toBeGreaterThanOrEqual(400);
    expect(aborted).toBeLessThanOrEqual(600);
  });

  it('describes the abort with the rule code and an INJECTED_FAULT message', () => {
    const rules = new FaultRules({ rules: [{ id: 'boom', service: 'likes', method: 'Like', abortPercent: 100, abortCode: 'UNAVAILABLE' }] });
    expect(rules.decide('likes', 'Like')).toEqual({
      delayMs: 0,
      abort: { code: status.UNAVAILABLE, message: `${INJECTED_FAULT}: rule "boom" aborted likes/Like with UNAVAILABLE` },
      rules: ['boom'],
    });
  });

  it('matches by service and method, with "*" wildcards', () => {
    const rules = new FaultRules({
      rules: [
        { id: 'one', service: 'likes', method: 'Like', abortPercent: 100 },
        { id: 'any-method', service: 'feed', abortPercent: 100 },
        { id: 'any-service', service: '*', method: 'Ping', delayMs: 5 },
      ],
    });
    expect(rules.decide('likes', 'Like')?.rules).toEqual(['one']);
    expect(rules.decide('likes', 'Unlike')).toBeUndefined();
    expect(rules.decide('feed', 'GetFeed')?.rules).toEqual(['any-method']);
    expect(rules.decide('upload', 'Ping')).toEqual({ delayMs: 5, rules: ['any-service'] });
  });

  it('combines rules: the longest delay applies and the first abort wins', () => {
    const rules = new FaultRules({
      rules: [
        { id: 'short', service: 'likes', delayMs: 10 },
        { id: 'long', service: 'likes', delayMs: 30 },
        { id: 'a1', service: 'likes', abortPercent: 100, abortCode: 'INTERNAL' },
        { id: 'a2', service: 'likes', abortPercent: 100, abortCode: 'UNAVAILABLE' },
      ],
    });
    const decision = rules.decide('likes', 'Like');
    expect(decision?.delayMs).toBe(30);
    expect(decision?.abort?.code).toBe(status.INTERNAL);
    expect(decision?.rules).toEqual(['short', 'long', 'a1']);
  });

  it('delays only delayPercent of the calls', () => {
    const rolls = [0.2, 0.3];
    const rules = new FaultRules({ random: () => rolls.shift() ?? 1, rules: [{ id: 'd', service: 's', delayMs: 100, delayPercent: 25 }] });
    expect(rules.decide('s', 'm')?.delayMs).toBe(100);
    expect(rules.decide('s', 'm')).toBeUndefined();
  });

  it('ignores expired rules', () => {
    const rules = new FaultRules({ rules: [{ id: 'old', service: 's', abortPercent: 100, expiresAt: Date.now() - 1 }, { id: 'new', service: 's', delayMs: 1, expiresAt: Date.now() + 60_000 }] });
    expect(rules.decide('s', 'm')).toEqual({ delayMs: 1, rules: ['new'] });
    expect(rules.list().map((r) => r.id)).toEqual(['new']);
  });

  it('sets, replaces, removes and clears rules, announcing each change', () => {
    const rules = new FaultRules();
    const seen: string[][] = [];
    rules.onChange((list) => seen.push(list.map((r) => `${r.id}:${r.abortPercent}`)));
    rules.set({ id: 'a', service: 's', abortPercent: 10 });
    rules.set({ id: 'b', service: 's', abortPercent: 20 });
    rules.set({ id: 'a', service: 's', abortPercent: 30 });
    expect(rules.remove('b')).toBe(true);
    expect(rules.remove('b')).toBe(false);
    rules.replaceAll([{ id: 'a', service: 's', abortPercent: 30 }]);
    rules.clear();
    rules.clear();
    expect(seen).toEqual([['a:10'], ['a:10', 'b:20'], ['a:30', 'b:20'], ['a:30'], []]);
    expect(rules.size).toBe(0);
  });

  it('rejects an invalid rule without changing anything', () => {
    const rules = new FaultRules({ rules: [{ id: 'a', service: 's', abortPercent: 10 }] });
    expect(() => rules.set({ id: 'a', service: 's', abortPercent: 500 })).toThrow('fault rule "a": abortPercent must be a number from 0 to 100; got 500');
    expect(rules.get('a')?.abortPercent).toBe(10);
  });

  it('rejects a bad random source', () => {
    expect(() => new FaultRules({ random: 0.5 as never })).toThrow('faultRules.random must be a function returning a number in [0, 1); got 0.5');
  });
});
