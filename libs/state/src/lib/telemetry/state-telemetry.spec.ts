import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { register } from 'prom-client';
import { ReplicatedServers, startReplicatedServers } from '../../../test/replicated-servers';
import { createRedisClient } from '../client/create-client';
import { StateRedis } from '../client/state-redis';
import { DurableWriter } from '../durable/durable-writer';
import { leaseHeld, tracedLeaseRenewal } from './state-telemetry';

jest.setTimeout(30_000);

async function sample(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = register.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  const found = values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l) && (v as { metricName?: string }).metricName !== `${name}_bucket`);
  return found?.value;
}

describe('state telemetry (real master + 1 replica)', () => {
  let servers: ReplicatedServers;
  let client: StateRedis;
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

  beforeAll(async () => {
    servers = await startReplicatedServers(1);
    client = createRedisClient({ port: servers.master.port, errorLogIntervalMs: 60_000 });
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    trace.disable();
    await client?.close();
    await servers?.stop();
  });

  it('a durable write: a span with the WAIT result, its latency and an acked WAIT outcome in the default registry', async () => {
    const before = (await sample('failsoft_durable_write_wait_total', { result: 'acked' })) ?? 0;
    await new DurableWriter(client).write(['SET', 'telemetry:k', 'v']);
    expect(await sample('failsoft_durable_write_wait_total', { result: 'acked' })).toBe(before + 1);
    const span = exporter.getFinishedSpans().find((s) => s.name === 'redis durable SET');
    expect(span?.attributes['failsoft.redis.wait.acked']).toBe(1);
    expect(span?.attributes['failsoft.redis.wait.required']).toBe(1);
    expect(await register.metrics()).toMatch(/failsoft_durable_write_duration_seconds_count\{outcome="acked"\} \d+/);
  });

  it('a lease renewal: a span, the renewal result and the holder gauge; losing it sets the gauge to 0', async () => {
    await expect(tracedLeaseRenewal('trending', 'feed-1', async () => true)).resolves.toBe(true);
    expect(await sample('failsoft_lease_holder', { lease: 'trending', holder: 'feed-1' })).toBe(1);
    await expect(tracedLeaseRenewal('trending', 'feed-1', async () => false)).resolves.toBe(false);
    expect(await sample('failsoft_lease_holder', { lease: 'trending', holder: 'feed-1' })).toBe(0);
    expect(await sample('failsoft_lease_renewals_total', { lease: 'trending', result: 'lost' })).toBe(1);
    await expect(tracedLeaseRenewal('trending', 'feed-1', () => Promise.reject(new Error('redis down')))).rejects.toThrow('redis down');
    expect(await sample('failsoft_lease_renewals_total', { lease: 'trending', result: 'error' })).toBe(1);
    leaseHeld('trending', 'feed-1', true);
    expect(await sample('failsoft_lease_holder', { lease: 'trending', holder: 'feed-1' })).toBe(1);
    expect(exporter.getFinishedSpans().filter((s) => s.name === 'lease renew trending')).toHaveLength(3);
  });
});
