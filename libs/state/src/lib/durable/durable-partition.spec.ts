import { startPartitionedTopology, waitUntil, type PartitionedTopology } from '@failsoft/testing';
import { PARTITION_CASES, runPartitionCase } from '../../../test/partition-checker';
import { createSentinelClient } from '../client/create-client';
import { DurabilityError, isDurabilityError } from './durability.error';
import { DurableWriter } from './durable-writer';

jest.setTimeout(180_000);

describe('durable writes under real network partitions (every Redis link through a cuttable relay)', () => {
  let topology: PartitionedTopology;

  beforeAll(async () => {
    topology = await startPartitionedTopology();
  });
  afterAll(async () => {
    await topology?.stop();
  });

  it('refuses a write the master cannot give to a replica the sentinels could promote (rule sentinel), naming it; the previous rule acknowledges it', async () => {
    const master = await topology.waitForConverged();
    const [cut] = topology.servers.filter((s) => s.name !== master.name);
    const client = createSentinelClient({ sentinels: topology.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })), masterName: topology.masterName, errorLogIntervalMs: 60_000 });
    try {
      await new DurableWriter(client).write(['SET', 'rule:warm', '1']);
      topology.partition([[master.name], [cut.name]]);
      const error = await waitUntil(
        async () => {
          const e = await new DurableWriter(client, { timeoutMs: 300 }).write(['SET', 'rule:cut', '1']).then(() => undefined, (e: unknown) => e);
          return isDurabilityError(e) && e.reason === 'UNCONFIRMED' ? e : undefined;
        },
        { timeoutMs: 10_000, message: 'a write refused as UNCONFIRMED' },
      );
      expect((error as DurabilityError).code).toBe('NOT_DURABLE');
      expect((error as Error).message).toContain(`replica(s) 127.0.0.1:${cut.port} could be promoted but are not connected to this master`);
      await expect(new DurableWriter(client, { replicaSet: 'online' }).write(['SET', 'rule:online', '1'])).resolves.toMatchObject({ acknowledgedBy: 1, required: 1 });
    } finally {
      topology.heal();
      await client.close();
    }
    await topology.waitForConverged();
  });

  it.each(PARTITION_CASES.map((c) => [c.name, c] as const))('%s: the default rule loses no acknowledged write', async (_, scenario) => {
    const result = await runPartitionCase(topology, scenario, {});
    process.stderr.write(`[partition] ${JSON.stringify(result)}\n`);
    expect(result.failedOver).toBe(true);
    expect(result.acknowledged).toBeGreaterThanOrEqual(400);
    expect(result.attempted).toBeGreaterThan(result.acknowledged); // the partition really refused writes
    expect(result.lostAcknowledgedWrites).toBe(0);
  });
});
