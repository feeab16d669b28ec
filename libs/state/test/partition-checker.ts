// The lost-write checker under network partitions, shared by durable-partition.spec.ts and
// bench/partition.experiment.ts: concurrent durable writers against a Sentinel topology whose
// every link can be cut, a partition held until the sentinels fail over, a heal, then every
// acknowledged write read back from the converged master.
import { redisCommand, waitUntil, type PartitionedTopology } from '@failsoft/testing';
import { createSentinelClient } from '../src/lib/client/create-client';
import { DurableWriter } from '../src/lib/durable/durable-writer';
import type { DurableOptions } from '../src/lib/durable/durable.options';

/** A partition scenario: the groups to cut apart (from the current master and its replicas), and whether the sentinels are expected to fail over. */
export interface PartitionCase {
  readonly name: string;
  readonly groups: (master: string, replicas: readonly string[]) => string[][];
  readonly failover: boolean;
}

const SENTINELS = ['sentinel-1', 'sentinel-2', 'sentinel-3'];

/** The two Redis partitions of issue 16 (names of startPartitionedTopology: redis-1 is the first master). */
export const PARTITION_CASES: readonly PartitionCase[] = [
  {
    name: 'master isolated from the sentinels and one replica (minority master keeps its clients)',
    groups: (master, [a]) => [[master], [...SENTINELS, a]],
    failover: true,
  },
  {
    name: 'master + one replica vs the sentinels + the other replica',
    groups: (master, [a, b]) => [[master, a], [...SENTINELS, b]],
    failover: true,
  },
];

/** What one scenario measured. */
export interface PartitionResult {
  readonly scenario: string;
  readonly durability: string;
  readonly attempted: number;
  readonly acknowledged: number;
  readonly lostAcknowledgedWrites: number;
  /** Share of the 100 ms windows of the run in which at least one write was acknowledged. */
  readonly availability: number;
  /** Longest stretch without any acknowledged write, in seconds. */
  readonly longestOutageSeconds: number;
  readonly failedOver: boolean;
}

/**
 * Runs one scenario on a converged topology: writers until 200 acks, the partition, writes until
 * the failover and `holdMs` more, the heal, writes until 200 more acks, then the read-back.
 */
export async function runPartitionCase(topology: PartitionedTopology, scenario: PartitionCase, durable: DurableOptions, holdMs = 3000, writers = 8): Promise<PartitionResult> {
  const before = await topology.waitForConverged();
  const client = createSentinelClient({
    sentinels: topology.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
    masterName: topology.masterName,
    errorLogIntervalMs: 60_000,
    commandTimeoutMs: 3000,
  });
  const writer = new DurableWriter(client, durable);
  const acknowledged = new Map<string, string>();
  let attempted = 0;
  let stop = false;
  let phase = 0;
  const ackedIn = [0, 0, 0];
  const startedAt = Date.now();
  const ackTimes: number[] = [];
  const run = `${Date.now().toString(36)}`;
  const loops = Array.from({ length: writers }, async (_, w) => {
    for (let seq = 0; !stop; seq++) {
      const key = `lw:${run}:{w${w}}:${seq}`;
      const value = `${seq}:${Math.random()}`;
      attempted++;
      try {
        await writer.write(['SET', key, value]);
        acknowledged.set(key, value);
        ackedIn[phase]++;
        ackTimes.push(Date.now());
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  });
  let failedOver = false;
  try {
    await waitUntil(() => ackedIn[0] >= 200, { timeoutMs: 20_000, message: '200 acknowledged writes before the partition' });
    phase = 1;
    topology.partition(scenario.groups(before.name, topology.servers.map((s) => s.name).filter((n) => n !== before.name)));
    const cutAt = attempted;
    if (scenario.failover) {
      await waitUntil(async () => (await topology.currentMaster().catch(() => before)).name !== before.name, { timeoutMs: 30_000, message: `a failover away from ${before.name}` });
      failedOver = true;
    }
    // the fault itself: the partition stays for holdMs after the failover (and at least 50 attempts)
    const healAt = Date.now() + holdMs;
    await waitUntil(() => attempted >= cutAt + 50 && Date.now() >= healAt, { timeoutMs: holdMs + 30_000, intervalMs: 50, message: `the partition to be held ${holdMs} ms` });
    topology.heal();
    phase = 2;
    await topology.waitForConverged(30_000);
    await waitUntil(() => ackedIn[2] >= 200, { timeoutMs: 30_000, message: '200 acknowledged writes after the heal' });
  } finally {
    stop = true;
    await Promise.all(loops);
    writer.shutdown();
    await client.close();
  }
  const endedAt = Date.now();
  const master = await topology.waitForConverged(30_000);
  let lost = 0;
  const keys = [...acknowledged.keys()];
  for (let i = 0; i < keys.length; i += 500) {
    const batch = keys.slice(i, i + 500);
    const values = (await redisCommand(master.process.port, ['MGET', ...batch], { timeoutMs: 5000 })) as Array<string | null>;
    batch.forEach((key, j) => {
      if (values[j] !== acknowledged.get(key)) lost++;
    });
  }
  return {
    scenario: scenario.name,
    durability: `replicas ${durable.replicas ?? 'all'}, replicaSet ${durable.replicaSet ?? 'sentinel'}`,
    attempted,
    acknowledged: acknowledged.size,
    lostAcknowledgedWrites: lost,
    ...availabilityOf(ackTimes, startedAt, endedAt),
    failedOver,
  };
}

/** Availability from the times of the acknowledgements: windows of 100 ms with one, and the longest gap. */
export function availabilityOf(ackTimes: readonly number[], from: number, to: number): { availability: number; longestOutageSeconds: number } {
  const windows = Math.max(1, Math.ceil((to - from) / 100));
  const served = new Set(ackTimes.map((t) => Math.floor((t - from) / 100)));
  let longest = 0;
  let last = from;
  for (const t of [...ackTimes, to]) {
    longest = Math.max(longest, t - last);
    last = t;
  }
  return { availability: Math.round((served.size / windows) * 1000) / 1000, longestOutageSeconds: Math.round(longest / 100) / 10 };
}
