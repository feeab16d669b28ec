import { Counter, Histogram, Registry } from 'prom-client';
import { AccumulatingCounter, FastHistogram } from './fast-metrics';

const BUCKETS = [0.001, 0.01, 0.1, 1];

/** Observations with awkward sums (floating point) and values on, under and over the bounds. */
const VALUES = [0.0005, 0.001, 0.0011, 0.01, 0.1 + 0.2, 0.7, 1, 3.3, 0.0001, 0.05];

describe('fast metrics export exactly what prom-client exports', () => {
  it('a FastHistogram reads like a prom-client Histogram fed the same observations', async () => {
    const fast = new Registry();
    const plain = new Registry();
    const histogram = new FastHistogram({ name: 'x_seconds', help: 'h', labelNames: ['method'], buckets: BUCKETS, registry: fast });
    const reference = new Histogram({ name: 'x_seconds', help: 'h', labelNames: ['method'], buckets: BUCKETS, registers: [plain] });
    const b = histogram.record({ method: 'B' });
    const a = histogram.record({ method: 'A' });
    VALUES.forEach((value, i) => {
      (i % 3 === 0 ? a : b).observe(value);
      reference.observe({ method: i % 3 === 0 ? 'A' : 'B' }, value);
    });
    expect(await fast.metrics()).toBe(await plain.metrics());
    expect(await fast.getMetricsAsJSON()).toEqual(await plain.getMetricsAsJSON());
  });

  it('reset() clears the series; later observations appear in their new first-use order', async () => {
    const fast = new Registry();
    const plain = new Registry();
    const histogram = new FastHistogram({ name: 'y_seconds', help: 'h', labelNames: ['method'], buckets: BUCKETS, registry: fast });
    const reference = new Histogram({ name: 'y_seconds', help: 'h', labelNames: ['method'], buckets: BUCKETS, registers: [plain] });
    histogram.record({ method: 'A' }).observe(0.5);
    reference.observe({ method: 'A' }, 0.5);
    fast.resetMetrics();
    plain.resetMetrics();
    expect(await fast.metrics()).toBe(await plain.metrics());
    histogram.record({ method: 'B' }).observe(0.002);
    histogram.record({ method: 'A' }).observe(2);
    reference.observe({ method: 'B' }, 0.002);
    reference.observe({ method: 'A' }, 2);
    expect(await fast.metrics()).toBe(await plain.metrics());
  });

  it('an AccumulatingCounter reads like a prom-client Counter', async () => {
    const fast = new Registry();
    const plain = new Registry();
    const counter = new AccumulatingCounter({ name: 'z_total', help: 'h', labelNames: ['code'], registers: [fast] });
    const reference = new Counter({ name: 'z_total', help: 'h', labelNames: ['code'], registers: [plain] });
    for (const code of ['OK', 'UNAVAILABLE', 'OK', 'OK']) {
      counter.record({ code }).inc();
      reference.inc({ code });
    }
    expect(await fast.metrics()).toBe(await plain.metrics());
  });

  it('rejects a non-finite observation as prom-client does', () => {
    const histogram = new FastHistogram({ name: 'w_seconds', help: 'h', labelNames: ['m'], buckets: BUCKETS, registry: new Registry() });
    expect(() => histogram.record({ m: 'x' }).observe(NaN)).toThrow('Value is not a valid number: NaN');
  });
});
