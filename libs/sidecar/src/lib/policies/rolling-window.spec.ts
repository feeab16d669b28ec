import { isInvalidOptionsError } from '../core/sidecar.error';
import { RollingWindow } from './rolling-window';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('RollingWindow', () => {
  it('counts events and latency within the window', () => {
    const c = clock();
    const w = new RollingWindow({ windowMs: 10_000, buckets: 10, now: c.now });
    w.recordRequest();
    w.recordRequest(2);
    w.recordSuccess(10);
    w.recordFailure(30);
    w.recordReject();
    w.recordTimeout();
    w.recordRetry();
    w.recordFallback();
    w.record('success', 20);
    const s = w.snapshot();
    expect(s).toMatchObject({ requests: 3, successes: 2, failures: 1, rejects: 1, timeouts: 1, retries: 1, fallbacks: 1, latencyCount: 3, latencySumMs: 60 });
    expect(s.meanLatencyMs).toBe(20);
    expect(s.errorRatio).toBeCloseTo(1 / 3);
  });

  it('drops buckets as they leave the window, one bucket at a time', () => {
    const c = clock();
    const w = new RollingWindow({ windowMs: 1000, buckets: 10, now: c.now });
    w.recordRequest(5); // bucket 0
    c.advance(500);
    w.recordRequest(3); // bucket 5
    expect(w.count('requests')).toBe(8);
    c.advance(499); // t=999: both still inside
    expect(w.count('requests')).toBe(8);
    c.advance(1); // t=1000: bucket 0 left the window
    expect(w.count('requests')).toBe(3);
    c.advance(500); // t=1500: bucket 5 left too
    expect(w.count('requests')).toBe(0);
  });

  it('clears everything after a gap longer than the window', () => {
    const c = clock();
    const w = new RollingWindow({ windowMs: 1000, buckets: 4, now: c.now });
    w.recordFailure();
    w.recordRetry(7);
    c.advance(60_000);
    expect(w.count('failures')).toBe(0);
    expect(w.count('retries')).toBe(0);
    w.recordFailure();
    expect(w.count('failures')).toBe(1);
  });

  it('keeps working when the clock goes backwards', () => {
    const c = clock();
    const w = new RollingWindow({ windowMs: 1000, buckets: 10, now: c.now });
    w.recordSuccess();
    c.advance(-5000);
    w.recordSuccess();
    expect(w.count('successes')).toBe(2);
  });

  it('reports rates per second over the time covered', () => {
    const c = clock();
    const w = new RollingWindow({ windowMs: 10_000, buckets: 10, now: c.now });
    for (let i = 0; i < 10; i++) {
      for (let j = 0; j < 50; j++) w.record('request');
      for (let j = 0; j < 5; j++) w.record('failure');
      c.advance(1000);
    }
    // 10 s elapsed; the oldest bucket has just left, 9 s × 50 = 450 requests over 9 s.
    const rates = w.rates();
    expect(rates.requests).toBeCloseTo(50);
    expect(rates.failures).toBeCloseTo(5);
    expect(w.snapshot().coveredMs).toBe(9000);
  });

  it('uses the elapsed time (at least one bucket) right after creation', () => {
    const c = clock();
    const w = new RollingWindow({ windowMs: 10_000, buckets: 10, now: c.now });
    for (let j = 0; j < 20; j++) w.recordRequest();
    c.advance(2000);
    expect(w.rates().requests).toBeCloseTo(10);
  });

  it('resets and shuts down to zero', () => {
    const w = new RollingWindow();
    w.recordRequest(3);
    w.shutdown();
    expect(w.count('requests')).toBe(0);
  });

  it.each([
    [{ windowMs: 0 }, 'rollingWindow.windowMs must be an integer from 1 to 86400000; got 0'],
    [{ windowMs: 1.5 }, 'rollingWindow.windowMs must be an integer from 1 to 86400000; got 1.5'],
    [{ buckets: -1 }, 'rollingWindow.buckets must be an integer from 1 to 1000; got -1'],
    [{ windowMs: 1000, buckets: 3 }, 'rollingWindow.windowMs must be a multiple of rollingWindow.buckets (3); got 1000'],
    [{ now: 5 }, 'rollingWindow.now must be a function returning epoch ms; got 5'],
  ])('rejects bad options %j', (options, message) => {
    expect(() => new RollingWindow(options as never)).toThrow(message);
    try {
      new RollingWindow(options as never);
    } catch (error) {
      expect(isInvalidOptionsError(error)).toBe(true);
    }
  });

  it('rejects an unknown event name', () => {
    expect(() => new RollingWindow().record('oops' as never)).toThrow('got "oops"');
  });
});
