import { RollingRates } from './rolling-rates';

describe('RollingRates', () => {
  let now: number;
  const clock = () => now;

  beforeEach(() => {
    now = 1_700_000_000_000; // a whole second
  });

  it('counts responses by class in 1-second buckets, oldest first, the newest still filling', () => {
    const rates = new RollingRates({ seconds: 5, rateWindowS: 2, now: clock });
    rates.record('success');
    rates.record('degraded');
    now += 1000;
    rates.record('error');
    rates.record('rejected');
    rates.record('success');
    now += 1000;
    rates.record('success');
    const series = rates.series();
    expect(series.counts.requests).toEqual([0, 0, 2, 3, 1]);
    expect(series.counts.success).toEqual([0, 0, 1, 1, 1]);
    expect(series.counts.degraded).toEqual([0, 0, 1, 0, 0]);
    expect(series.counts.rejected).toEqual([0, 0, 0, 1, 0]);
    expect(series.counts.error).toEqual([0, 0, 0, 1, 0]);
    expect(series.end).toBe(now);
    // the mean of the 2 complete buckets before the filling one
    expect(series.perSecond.requests).toBe(2.5);
    expect(series.perSecond.error).toBe(0.5);
  });

  it('forgets buckets older than the window, also after a long idle gap', () => {
    const rates = new RollingRates({ seconds: 3, rateWindowS: 1, now: clock });
    rates.record('error');
    now += 2000;
    expect(rates.series().counts.error).toEqual([1, 0, 0]);
    now += 1000;
    expect(rates.series().counts.error).toEqual([0, 0, 0]);
    // the ring slot of the old second is reused: the old count must not come back
    now += 3 * 1000 * 7;
    rates.record('success');
    expect(rates.series().counts.requests).toEqual([0, 0, 1]);
    expect(rates.series().counts.error).toEqual([0, 0, 0]);
  });

  it('classifies responses: 5xx error, 4xx rejected, 2xx degraded or success', () => {
    expect(RollingRates.classify(503, false)).toBe('error');
    expect(RollingRates.classify(500, true)).toBe('error');
    expect(RollingRates.classify(429, false)).toBe('rejected');
    expect(RollingRates.classify(200, true)).toBe('degraded');
    expect(RollingRates.classify(201, false)).toBe('success');
    expect(RollingRates.classify(304, false)).toBe('success');
  });

  it('refuses bad options, naming the value', () => {
    expect(() => new RollingRates({ seconds: 1 })).toThrow(/seconds must be an integer from 2 to 3600; got 1/);
    expect(() => new RollingRates({ seconds: 10, rateWindowS: 10 })).toThrow(/rateWindowS must be an integer from 1 to 9; got 10/);
    expect(() => new RollingRates({ now: 5 as unknown as () => number })).toThrow(/now must be a function/);
  });
});
