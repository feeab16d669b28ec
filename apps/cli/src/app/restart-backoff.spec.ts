import { REDIS_RESTART_BACKOFF, RestartBackoff } from './restart-backoff';

describe('RestartBackoff', () => {
  it('doubles per exit in a row, per node, up to the cap', () => {
    const backoff = new RestartBackoff({ initialMs: 500, maxMs: 2000, resetAfterMs: 60_000, now: () => 0 });
    expect([backoff.onExit(7001), backoff.onExit(7001), backoff.onExit(7001), backoff.onExit(7001)]).toEqual([500, 1000, 2000, 2000]);
    expect(backoff.onExit(7002)).toBe(500);
  });

  it('starts over once the node stayed up for resetAfterMs (a crash eight minutes later is a first crash)', () => {
    let now = 0;
    const backoff = new RestartBackoff({ ...REDIS_RESTART_BACKOFF, now: () => now });
    backoff.onUp(7001);
    expect(backoff.onExit(7001)).toBe(500);
    backoff.onUp(7001);
    now += 1000; // a crash loop: up one second
    expect(backoff.onExit(7001)).toBe(1000);
    backoff.onUp(7001);
    now += 8 * 60_000; // up eight minutes
    expect(backoff.onExit(7001)).toBe(500);
    backoff.onUp(7001);
    now += REDIS_RESTART_BACKOFF.resetAfterMs - 1; // just short of the reset
    expect(backoff.onExit(7001)).toBe(1000);
  });

  it('rejects bad options naming them', () => {
    expect(() => new RestartBackoff({ initialMs: -1, maxMs: 10, resetAfterMs: 10 })).toThrow(/initialMs must be a number >= 0; got -1/);
    expect(() => new RestartBackoff({ initialMs: 100, maxMs: 10, resetAfterMs: 10 })).toThrow(/maxMs \(10\) must be >= initialMs \(100\)/);
  });
});
