import { SentinelTopology, startSentinelTopology, waitUntil } from '@failsoft/testing';
import { createRedisClient, createSentinelClient } from '../client/create-client';
import { StateRedis } from '../client/state-redis';
import { DurableWriter } from './durable-writer';

jest.setTimeout(90_000);

describe('durable writes across a real Sentinel failover (SIGKILL of the master)', () => {
  let topology: SentinelTopology;
  let client: StateRedis;

  beforeAll(async () => {
    topology = await startSentinelTopology();
    client = createSentinelClient({ sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })), masterName: topology.masterName, errorLogIntervalMs: 60_000 });
    await client.ping();
  });
  afterAll(async () => {
    await client?.close();
    await topology?.stop();
  });

  it('with 24 concurrent writers: every acknowledged write is readable after failover, and writes resume', async () => {
    const writer = new DurableWriter(client);
    const acknowledged = new Map<string, string>();
    let killedAt = Number.POSITIVE_INFINITY;
    let ackedAfterFailover = 0;
    let failed = 0;
    let stop = false;
    const writers = Array.from({ length: 24 }, async (_, w) => {
      for (let seq = 0; !stop; seq++) {
        const key = `acked:{w${w}}:${seq}`;
        const value = `${w}:${seq}:${Math.random()}`;
        try {
          await writer.write(['SET', key, value]);
          acknowledged.set(key, value);
          if (Date.now() > killedAt) ackedAfterFailover++;
        } catch {
          failed++; // not acknowledged: the caller would retry (with a new key here)
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }
    });
    try {
      await waitUntil(() => acknowledged.size >= 300, { timeoutMs: 20_000, message: '300 acknowledged writes before the kill' });
      const before = await topology.currentMaster();
      await topology.killMaster('SIGKILL');
      killedAt = Date.now();
      const after = await topology.waitForFailover(before, 30_000);
      expect(after.port).not.toBe(before.port);
      await waitUntil(() => ackedAfterFailover >= 300, { timeoutMs: 30_000, message: '300 acknowledged writes after the failover' });
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    expect(failed).toBeGreaterThan(0); // the kill really happened under load

    // read every acknowledged key straight from the new master
    const master = await topology.currentMaster();
    const reader = createRedisClient({ port: master.port });
    try {
      const keys = [...acknowledged.keys()];
      const missing: string[] = [];
      for (let i = 0; i < keys.length; i += 500) {
        const batch = keys.slice(i, i + 500);
        const values = await reader.mget(...batch);
        batch.forEach((key, j) => {
          if (values[j] !== acknowledged.get(key)) missing.push(`${key}=${values[j]}`);
        });
      }
      expect(missing).toEqual([]);
      expect(acknowledged.size).toBeGreaterThanOrEqual(600);
    } finally {
      await reader.close();
    }
  });
});
