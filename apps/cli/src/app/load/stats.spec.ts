import { countOf, errorsByCause, figuresByEndpoint, figuresOf, percent, percentile, perSecond, type Sample } from './stats';

const sample = (at: number, ms: number, outcome: Sample['outcome'], endpoint: Sample['endpoint'] = 'feed', cause?: string): Sample => ({ endpoint, at, ms, outcome, ...(cause ? { cause } : {}) });

describe('percentile (nearest rank)', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100

  it('picks the smallest value with at least p% at or below it', () => {
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3, 1000], 99)).toBe(1000);
    expect(percentile([1, 2, 3, 1000], 50)).toBe(2);
  });

  it('is 0 for no values', () => {
    expect(percentile([], 99)).toBe(0);
  });
});

describe('figures', () => {
  const samples = [
    sample(100, 10, 'ok'),
    sample(200, 20, 'degraded'),
    sample(1100, 30, 'error', 'like', 'HTTP 503 LIKES_UNAVAILABLE'),
    sample(1200, 40, 'ok', 'create'),
    sample(3500, 5000, 'error', 'like', 'timeout'),
    sample(3600, 50, 'error', 'unlike', 'HTTP 503 LIKES_UNAVAILABLE'),
  ];

  it('counts outcomes; availability counts degraded answers as served', () => {
    expect(countOf(samples)).toEqual({ requests: 6, ok: 2, degraded: 1, errors: 3 });
    const f = figuresOf(samples);
    expect(f.availability).toBeCloseTo(3 / 6);
    expect(f.degradedShare).toBeCloseTo(1 / 6);
    expect(f.p50Ms).toBe(30);
    expect(f.p99Ms).toBe(5000);
    expect(f.maxMs).toBe(5000);
  });

  it('an empty set is fully available', () => {
    expect(figuresOf([])).toMatchObject({ requests: 0, availability: 1, degradedShare: 0, p99Ms: 0 });
  });

  it('splits by endpoint', () => {
    const by = figuresByEndpoint(samples);
    expect(by.like).toMatchObject({ requests: 2, errors: 2, availability: 0 });
    expect(by.feed).toMatchObject({ requests: 2, ok: 1, degraded: 1, availability: 1 });
    expect(by.create.requests).toBe(1);
    expect(by.unlike.errors).toBe(1);
  });

  it('groups errors by cause, most frequent first', () => {
    expect(errorsByCause(samples)).toEqual([
      { cause: 'HTTP 503 LIKES_UNAVAILABLE', count: 2 },
      { cause: 'timeout', count: 1 },
    ]);
  });

  it('buckets per second of start time, keeping empty seconds', () => {
    const buckets = perSecond(samples, 5000);
    expect(buckets.map((b) => b.second)).toEqual([0, 1, 2, 3, 4]);
    expect(buckets[0]).toEqual({ second: 0, requests: 2, ok: 1, degraded: 1, errors: 0 });
    expect(buckets[1]).toEqual({ second: 1, requests: 2, ok: 1, degraded: 0, errors: 1 });
    expect(buckets[2].requests).toBe(0);
    expect(buckets[3].errors).toBe(2);
  });

  it('formats percentages without rounding up to 100%', () => {
    expect(percent(1)).toBe('100%');
    expect(percent(0.99999)).toBe('99.99%');
    expect(percent(0.5)).toBe('50.00%');
  });
});
