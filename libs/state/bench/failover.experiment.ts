// The failover experiment behind `npm run bench:state` (see failover.bench.ts).
// Each run: start a real topology (1 master, 2 replicas, 3 sentinels), measure plain vs durable
// write throughput, then SIGKILL the master under concurrent durable writers, and count the
// acknowledged writes that are not readable on the new master. Plain and durable phases alternate
// BENCH_ROUNDS times per run (the run's ratio is median durable / median plain); the master's
// `INFO commandstats` gives the WAITs sent, hence the mean writes per WAIT (group commit). A third
// phase per round measures durable writes under rule replicaSet 'online' (no sentinel check).
// Env: BENCH_RUNS (default 3), BENCH_WRITERS (default 24), BENCH_PHASE_MS (throughput phase
// length, default 2000), BENCH_ROUNDS (default 3).
import { SentinelTopology, startSentinelTopology, waitUntil } from '@failsoft/testing';
import { createRedisClient, createSentinelClient, DurableWriter, isDurabilityError, StateRedis } from '../src';

/** One progress line on stderr. */
function progress(message: string): void {
  process.stderr.write(`[bench:state] ${message}\n`);
}

/** Reads a positive integer from the environment, exiting with a clear message when it is not one. */
function envInt(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    process.stderr.write(`[bench:state] ${name} must be an integer >= ${min}; got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return value;
}

/** Why a durable write was refused, short (for the progress lines): the reason, and for UNCONFIRMED what the sentinels lacked. */
function refusalOf(error: unknown): string {
  if (!isDurabilityError(error)) return error instanceof Error ? error.message.slice(0, 40) : String(error);
  if (error.reason !== 'UNCONFIRMED' || !(error.cause instanceof Error)) return error.reason;
  return `UNCONFIRMED: ${error.cause.message.replace(/[0-9a-f]{8}/g, '…').slice(0, 60)}`;
}

/** Median of a non-empty list. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Calls of `WAIT` the server has run so far (`INFO commandstats`). */
async function waitCalls(redis: StateRedis): Promise<number> {
  return Number(/cmdstat_wait:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
}

/** Runs `writers` loops of `op` for `ms` and returns completed operations per second. */
async function throughput(writers: number, ms: number, op: (w: number, i: number) => Promise<unknown>): Promise<number> {
  let done = 0;
  const until = Date.now() + ms;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; Date.now() < until; i++) {
        await op(w, i);
        done++;
      }
    }),
  );
  return done / (ms / 1000);
}

/** What one run measured. */
interface RunResult {
  acknowledged: number;
  lost: number;
  resumeSeconds: number;
  ratio: number;
  /** Same with rule replicaSet 'online' (no sentinel check). */
  onlineRatio: number;
  writesPerWait: number;
}

/** The bench's settings (from the environment). */
interface Settings {
  writers: number;
  phaseMs: number;
  rounds: number;
}

/**
 * Alternates plain and durable throughput phases `rounds` times; returns the medians and the mean
 * writes per WAIT over the durable phases (WAIT calls counted by the master itself).
 */
async function compareThroughput(tag: string, client: StateRedis, writer: DurableWriter, { writers, phaseMs, rounds }: Settings): Promise<{ plain: number; durable: number; online: number; writesPerWait: number }> {
  progress(`${tag}: throughput, ${writers} writers, ${rounds} rounds of ${phaseMs} ms each: plain SET, durable SET (default rule), durable SET (rule 'online')`);
  const online = new DurableWriter(client, { replicaSet: 'online' });
  const plain: number[] = [];
  const durable: number[] = [];
  const onlineRates: number[] = [];
  let durableWrites = 0;
  let waits = 0;
  for (let round = 1; round <= rounds; round++) {
    plain.push(await throughput(writers, phaseMs, (w, i) => client.set(`plain:{${w}}:${round}:${i}`, 'x')));
    const waitsBefore = await waitCalls(client);
    durable.push(await throughput(writers, phaseMs, (w, i) => writer.write(['SET', `durable:{${w}}:${round}:${i}`, 'x'])));
    waits += (await waitCalls(client)) - waitsBefore;
    durableWrites += (durable[durable.length - 1] * phaseMs) / 1000;
    onlineRates.push(await throughput(writers, phaseMs, (w, i) => online.write(['SET', `online:{${w}}:${round}:${i}`, 'x'])));
    progress(`${tag}:   round ${round}/${rounds}: plain ${plain[round - 1].toFixed(0)}, durable ${durable[round - 1].toFixed(0)}, durable 'online' ${onlineRates[round - 1].toFixed(0)} writes/s`);
  }
  const writesPerWait = waits > 0 ? durableWrites / waits : 0;
  progress(`${tag}: median plain ${median(plain).toFixed(0)} writes/s, durable ${median(durable).toFixed(0)}, durable 'online' ${median(onlineRates).toFixed(0)}; ${writesPerWait.toFixed(1)} writes per WAIT (default rule)`);
  return { plain: median(plain), durable: median(durable), online: median(onlineRates), writesPerWait };
}

/** One run of the experiment on a fresh topology. */
async function runOnce(run: number, runs: number, { writers, phaseMs, rounds }: Settings, track: (t: SentinelTopology | undefined) => void): Promise<RunResult> {
  const tag = `run ${run}/${runs}`;
  progress(`${tag}: starting 1 master + 2 replicas + 3 sentinels on free loopback ports`);
  const topology = await startSentinelTopology();
  track(topology);
  const client: StateRedis = createSentinelClient({
    sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })),
    masterName: topology.masterName,
    errorLogIntervalMs: 60_000,
    logger: { warn: (line) => progress(`${tag}: client: ${line}`) },
  });
  try {
    await client.ping();
    const writer = new DurableWriter(client);
    const { plain, durable, online, writesPerWait } = await compareThroughput(tag, client, writer, { writers, phaseMs, rounds });

    const acknowledged = new Map<string, string>();
    let killedAt = Number.POSITIVE_INFINITY;
    let firstAckAfterKill = Number.POSITIVE_INFINITY;
    let failed = 0;
    const reasons = new Map<string, number>();
    let stop = false;
    const loops = Array.from({ length: writers }, async (_, w) => {
      for (let seq = 0; !stop; seq++) {
        const key = `acked:{${w}}:${seq}`;
        const value = `${run}:${w}:${seq}`;
        try {
          await writer.write(['SET', key, value]);
          acknowledged.set(key, value);
          const now = Date.now();
          if (now > killedAt && now < firstAckAfterKill) firstAckAfterKill = now;
        } catch (error) {
          failed++;
          const reason = refusalOf(error);
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }
    });
    const ticker = setInterval(() => progress(`${tag}:   acknowledged=${acknowledged.size} not-acknowledged=${failed} ${JSON.stringify(Object.fromEntries(reasons))}`), 1000);
    try {
      await waitUntil(() => acknowledged.size >= 500, { timeoutMs: 30_000, message: '500 acknowledged writes before the kill' });
      const before = await topology.currentMaster();
      await topology.killMaster('SIGKILL');
      killedAt = Date.now();
      progress(`${tag}: SIGKILLed the master on port ${before.port} under ${writers} concurrent durable writers`);
      const after = await topology.waitForFailover(before, 60_000);
      progress(`${tag}: sentinels promoted port ${after.port} after ${((Date.now() - killedAt) / 1000).toFixed(2)} s`);
      await waitUntil(() => firstAckAfterKill < Number.POSITIVE_INFINITY, { timeoutMs: 60_000, message: 'durable writes to resume' });
      const resumedAt = firstAckAfterKill;
      progress(`${tag}: durable writes resumed ${((resumedAt - killedAt) / 1000).toFixed(2)} s after the kill`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      stop = true;
      await Promise.all(loops);
      clearInterval(ticker);
    }

    const master = await topology.currentMaster();
    progress(`${tag}: reading ${acknowledged.size} acknowledged writes back from the new master (port ${master.port})`);
    const reader = createRedisClient({ port: master.port });
    let lost = 0;
    try {
      const keys = [...acknowledged.keys()];
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        const values = await reader.mget(...batch);
        batch.forEach((key, j) => {
          if (values[j] !== acknowledged.get(key)) lost++;
        });
      }
    } finally {
      await reader.close();
    }
    const result = { acknowledged: acknowledged.size, lost, resumeSeconds: (firstAckAfterKill - killedAt) / 1000, ratio: durable / plain, onlineRatio: online / plain, writesPerWait };
    progress(`${tag}: acknowledged=${result.acknowledged} lost=${lost} resume=${result.resumeSeconds.toFixed(2)} s ratio=${result.ratio.toFixed(3)} writes/WAIT=${writesPerWait.toFixed(1)}`);
    return result;
  } finally {
    await client.close();
    await topology.stop();
    track(undefined);
  }
}

/** Runs the experiment BENCH_RUNS times and prints the summary JSON line on stdout. */
export async function main(): Promise<void> {
  const runs = envInt('BENCH_RUNS', 3, 1);
  const writers = envInt('BENCH_WRITERS', 24, 1);
  const phaseMs = envInt('BENCH_PHASE_MS', 2000, 100);
  const rounds = envInt('BENCH_ROUNDS', 3, 1);
  let current: SentinelTopology | undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      progress(`${signal}: stopping the topology`);
      void (current?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
  const results: RunResult[] = [];
  try {
    for (let run = 1; run <= runs; run++) results.push(await runOnce(run, runs, { writers, phaseMs, rounds }, (t) => (current = t)));
  } catch (error) {
    progress(`failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
    return;
  }
  const summary = {
    acknowledgedWrites: results.reduce((sum, r) => sum + r.acknowledged, 0),
    lostAcknowledgedWrites: results.reduce((sum, r) => sum + r.lost, 0),
    writeResumeSecondsMedian: Number(median(results.map((r) => r.resumeSeconds)).toFixed(3)),
    durableToPlainThroughputRatio: Number(median(results.map((r) => r.ratio)).toFixed(3)),
    durableOnlineToPlainThroughputRatio: Number(median(results.map((r) => r.onlineRatio)).toFixed(3)),
    writers,
    meanWritesPerWait: Number(median(results.map((r) => r.writesPerWait)).toFixed(2)),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}
