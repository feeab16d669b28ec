import { startRedisServer, waitUntil, type RedisServerHandle } from '@failsoft/testing';
import { clockTicksPerSecond, cpuTicks, rssMb, UsageSampler } from './process-usage';

describe('process usage from /proc', () => {
  let redis: RedisServerHandle;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('reads VmRSS and CPU ticks of a real process, and nothing of a gone one', async () => {
    expect(rssMb(redis.pid)).toBeGreaterThan(1);
    expect(rssMb(redis.pid)).toBeLessThan(rssMb(process.pid) as number);
    expect(cpuTicks(process.pid)).toBeGreaterThan(0);
    const gone = await startRedisServer();
    await gone.stop();
    await waitUntil(() => rssMb(gone.pid) === undefined, { timeoutMs: 5000, message: 'the stopped Redis to leave /proc' });
    expect(cpuTicks(gone.pid)).toBeUndefined();
    expect(clockTicksPerSecond()).toBeGreaterThan(0);
  });

  it('gives each kind its CPU over the window and its largest RSS', () => {
    const sampler = new UsageSampler(
      [
        { id: 'bench', kind: 'client', pid: process.pid },
        { id: 'redis:1', kind: 'redis', pid: redis.pid },
      ],
      clockTicksPerSecond(),
    );
    const start = cpuTicks(process.pid) as number;
    sampler.start();
    // busy until this process has spent at least 50 ticks of CPU (a condition, not a sleep): long
    // enough that the counters' tick granularity (a tick or two at each end) stays small against it
    let spin = 0;
    while ((cpuTicks(process.pid) as number) < start + 50) spin += Math.sqrt(spin + 1);
    const usage = sampler.stop();
    expect(spin).toBeGreaterThan(0);
    expect(usage.wallMs).toBeGreaterThan(0);
    expect(usage.cpuCores['client']).toBeGreaterThan(0);
    expect(usage.cpuCores['redis']).toBeGreaterThanOrEqual(0);
    expect(usage.rssMbMax['client']).toBeGreaterThan(usage.rssMbMax['redis']);
    // the machine was at least as busy as this process, give or take the two counters' granularity
    // (per-process and per-machine ticks are sampled apart: 0.86 of it was seen over a 5-tick window)
    expect(usage.machineBusyCores).toBeGreaterThanOrEqual((usage.cpuCores['client'] as number) * 0.8);
  });
});
