// The partition experiment behind `npm run bench:partitions` (see partition.bench.ts). For each
// durability rule (default replicaSet 'sentinel', previous 'online', and WAIT 1) and each partition
// scenario: a real topology behind cuttable relays, concurrent durable writers, the partition held
// until the sentinels fail over plus BENCH_HOLD_MS (default 3000), the heal, and the read-back of
// every acknowledged write. Env: BENCH_RUNS (default 1), BENCH_RULES (comma-separated names:
// default, online, wait1; default all three).
import { startPartitionedTopology, type PartitionedTopology } from '@failsoft/testing';
import type { DurableOptions } from '../src';
import { PARTITION_CASES, runPartitionCase, type PartitionResult } from '../test/partition-checker';

/** One progress line on stderr. */
function progress(message: string): void {
  process.stderr.write(`[bench:partitions] ${message}\n`);
}

/** Reads a positive integer from the environment, exiting with a clear message when it is not one. */
function envInt(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    process.stderr.write(`[bench:partitions] ${name} must be an integer >= ${min}; got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return value;
}

const RULES: ReadonlyArray<[string, DurableOptions]> = [
  ['default', {}],
  ['online', { replicaSet: 'online' }],
  ['wait1', { replicas: 1 }],
];

/** Runs every rule x scenario, each on a fresh topology; prints one JSON line. */
export async function main(): Promise<void> {
  const runs = envInt('BENCH_RUNS', 1, 1);
  const holdMs = envInt('BENCH_HOLD_MS', 3000, 0);
  const wanted = (process.env['BENCH_RULES'] ?? 'default,online,wait1').split(',').map((r) => r.trim());
  const unknown = wanted.filter((r) => !RULES.some(([name]) => name === r));
  if (unknown.length) {
    process.stderr.write(`[bench:partitions] BENCH_RULES names unknown rules ${JSON.stringify(unknown)}; rules: ${RULES.map(([n]) => n).join(', ')}\n`);
    process.exit(2);
  }
  const results: Array<PartitionResult & { rule: string; run: number }> = [];
  let topology: PartitionedTopology | undefined;
  const cleanUp = (): void => void topology?.stop().finally(() => process.exit(130));
  process.once('SIGINT', cleanUp);
  process.once('SIGTERM', cleanUp);
  try {
    for (let run = 1; run <= runs; run++) {
      for (const [rule, durable] of RULES.filter(([name]) => wanted.includes(name))) {
        for (const scenario of PARTITION_CASES) {
          progress(`run ${run}/${runs}, rule ${rule}: ${scenario.name}`);
          topology = await startPartitionedTopology();
          const result = await runPartitionCase(topology, scenario, durable, holdMs);
          await topology.stop();
          topology = undefined;
          progress(`  acknowledged ${result.acknowledged}, lost ${result.lostAcknowledgedWrites}, availability ${result.availability}, longest outage ${result.longestOutageSeconds} s`);
          results.push({ ...result, rule, run });
        }
      }
    }
  } finally {
    await topology?.stop();
  }
  process.stdout.write(`${JSON.stringify({ scenarios: results })}\n`);
}
