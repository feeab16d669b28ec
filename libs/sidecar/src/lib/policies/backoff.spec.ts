import { isInvalidOptionsError } from '../core/sidecar.error';
import { ExponentialBackoff, isBackoff } from './backoff';

describe('ExponentialBackoff', () => {
  it('grows exponentially up to the cap without jitter', () => {
    const backoff = new ExponentialBackoff({ initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2, jitter: 'none' });
    expect([1, 2, 3, 4, 5, 6].map((r) => backoff.delay(r, 0))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('full jitter picks uniformly below the exponential ceiling', () => {
    const values = [0, 0.5, 0.999];
    let i = 0;
    const backoff = new ExponentialBackoff({ initialDelayMs: 100, maxDelayMs: 10_000, jitter: 'full', random: () => values[i++ % values.length] });
    expect(backoff.delay(3, 0)).toBe(0);
    expect(backoff.delay(3, 0)).toBe(200);
    expect(backoff.delay(3, 0)).toBeCloseTo(399.6);
  });

  it('full jitter stays within [0, cap] for any random value', () => {
    const backoff = new ExponentialBackoff({ initialDelayMs: 10, maxDelayMs: 500, multiplier: 3 });
    for (let retry = 1; retry <= 20; retry++) {
      const d = backoff.delay(retry, 0);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(500);
    }
  });

  it('decorrelated jitter draws between the base and previous × multiplier, capped', () => {
    const backoff = new ExponentialBackoff({ initialDelayMs: 100, maxDelayMs: 1000, multiplier: 3, jitter: 'decorrelated', random: () => 1 });
    let previous = 0;
    const delays: number[] = [];
    for (let retry = 1; retry <= 4; retry++) {
      previous = backoff.delay(retry, previous);
      delays.push(previous);
    }
    expect(delays).toEqual([300, 900, 1000, 1000]);
    const low = new ExponentialBackoff({ initialDelayMs: 100, jitter: 'decorrelated', random: () => 0 });
    expect(low.delay(5, 800)).toBe(100);
  });

  it('is recognised as a Backoff; options are not', () => {
    expect(isBackoff(new ExponentialBackoff())).toBe(true);
    expect(isBackoff({ initialDelayMs: 1 })).toBe(false);
  });

  it.each([
    [{ initialDelayMs: -1 }, 'backoff.initialDelayMs must be a number from 0 to 3600000; got -1'],
    [{ maxDelayMs: Number.NaN }, 'backoff.maxDelayMs must be a number from 0 to 3600000; got NaN'],
    [{ initialDelayMs: 500, maxDelayMs: 100 }, 'backoff.maxDelayMs must be >= backoff.initialDelayMs (500); got 100'],
    [{ multiplier: 0.5 }, 'backoff.multiplier must be a number from 1 to 100; got 0.5'],
    [{ jitter: 'half' }, 'backoff.jitter must be one of "none", "full", "decorrelated"; got "half"'],
    [{ random: 4 }, 'backoff.random must be a function returning [0, 1); got 4'],
  ])('rejects bad options %j', (options, message) => {
    expect(() => new ExponentialBackoff(options as never)).toThrow(message);
    try {
      new ExponentialBackoff(options as never);
    } catch (error) {
      expect(isInvalidOptionsError(error)).toBe(true);
    }
  });
});
