// The failover experiment behind `npm run bench:state` (see failover.bench.ts).
// Each run: start a real topology (1 master, 2 replicas, 3 sentinels), measure plain vs durable
// write throughput, then SIGKILL the master under concurrent durable writers, and count the
// acknowledged writes that are not readable on the new master. Each run has BENCH_ROUNDS rounds of
// three phases: plain SET, durable SET, durable SET under rule replicaSet 'online' (no sentinel
// check), the durable phase in the middle and the other two swapping sides every round, so each
// round's ratios (durable / plain, 'online' / plain) compare phases adjacent in time. The reported
// ratios are medians over every round of every run (per-run medians are reported too): on 2 cores
// shared by seven processes one round's ratio moves by +-0.1, a median over many rounds much less.
// The master's `INFO commandstats` gives the WAITs sent, hence the mean writes per WAIT; the
// writers' process CPU in the durable phases says whether they wait on CPU or on round trips.
// Env: BENCH_RUNS (default 3), BENCH_WRITERS (default 24), BENCH_PHASE_MS (throughput phase
// length, default 2000), BENCH_ROUNDS (default 5).
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

/** What one throughput phase measured. */
interface Phase {
  /** Completed operations per second. */
  readonly rate: number;
  /** CPU of this (the writers') process during the phase, in cores. */
  readonly cores: number;
}

/** Runs `writers` loops of `op` for `ms`: completed operations per second, and this process's CPU meanwhile. */
async function throughput(writers: number, ms: number, op: (w: number, i: number) => Promise<unknown>): Promise<Phase> {
  let done = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const until = Date.now() + ms;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; Date.now() < until; i++) {
        await op(w, i);
        done++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { rate: done / (ms / 1000), cores: (used.user + used.system) / 1000 / (performance.now() - started) };
}

/** What one run measured. */
interface RunResult {
  acknowledged: number;
  lost: number;
  resumeSeconds: number;
  /** durable / plain of each round (phases adjacent in time). */
  ratios: number[];
  /** Same with rule replicaSet 'online' (no sentinel check). */
  onlineRatios: number[];
  /** The writers' process CPU in each round's durable phase, cores. */
  durableCores: number[];
  writesPerWait: number;
}

/** The bench's settings (from the environment). */
interface Settings {
  writers: number;
  phaseMs: number;
  rounds: number;
}

/** What the throughput phases of one run measured: per-round ratios and the mean writes per WAIT. */
interface Throughput {
  ratios: number[];
  onlineRatios: number[];
  durableCores: number[];
  writesPerWait: number;
}

/**
 * Runs `rounds` rounds of plain, durable and durable-'online' phases (durable in the middle, the
 * other two swapping sides each round); returns each round's ratios to plain and the mean writes
 * per WAIT over the durable phases (WAIT calls counted by the master itself).
 */
async function compareThroughput(tag: string, client: StateRedis, writer: DurableWriter, { writers, phaseMs, rounds }: Settings): Promise<Throughput> {
  progress(`${tag}: throughput, ${writers} writers, ${rounds} rounds of ${phaseMs} ms per phase: plain SET, durable SET (default rule), durable SET (rule 'online')`);
  const online = new DurableWriter(client, { replicaSet: 'online' });
  const ratios: number[] = [];
  const onlineRatios: number[] = [];
  const durableCores: number[] = [];
  let durableWrites = 0;
  let waits = 0;
  for (let round = 1; round <= rounds; round++) {
    const plainPhase = (): Promise<Phase> => throughput(writers, phaseMs, (w, i) => client.set(`plain:{${w}}:${round}:${i}`, 'x'));
    const onlinePhase = (): Promise<Phase> => throughput(writers, phaseMs, (w, i) => online.write(['SET', `online:{${w}}:${round}:${i}`, 'x']));
    const first = round % 2 === 1 ? await plainPhase() : await onlinePhase();
    const waitsBefore = await waitCalls(client);
    const { rate: durable, cores } = await throughput(writers, phaseMs, (w, i) => writer.write(['SET', `durable:{${w}}:${round}:${i}`, 'x']));
    durableCores.push(cores);
    waits += (await waitCalls(client)) - waitsBefore;
    durableWrites += (durable * phaseMs) / 1000;
    const last = round % 2 === 1 ? await onlinePhase() : await plainPhase();
    const [plain, onlineRate] = round % 2 === 1 ? [first.rate, last.rate] : [last.rate, first.rate];
    ratios.push(durable / plain);
    onlineRatios.push(onlineRate / plain);
    progress(`${tag}:   round ${round}/${rounds}: plain ${plain.toFixed(0)}, durable ${durable.toFixed(0)}, durable 'online' ${onlineRate.toFixed(0)} writes/s; durable/plain ${(durable / plain).toFixed(3)}; writers' process CPU in the durable phase ${cores.toFixed(2)} cores`);
  }
  const writesPerWait = waits > 0 ? durableWrites / waits : 0;
  progress(`${tag}: median durable/plain ${median(ratios).toFixed(3)}, 'online'/plain ${median(onlineRatios).toFixed(3)}; ${writesPerWait.toFixed(1)} writes per WAIT (default rule)`);
  return { ratios, onlineRatios, durableCores, writesPerWait };
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
    const { ratios, onlineRatios, durableCores, writesPerWait } = await compareThroughput(tag, client, writer, { writers, phaseMs, rounds });

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
    const result = { acknowledged: acknowledged.size, lost, resumeSeconds: (firstAckAfterKill - killedAt) / 1000, ratios, onlineRatios, durableCores, writesPerWait };
    progress(`${tag}: acknowledged=${result.acknowledged} lost=${lost} resume=${result.resumeSeconds.toFixed(2)} s ratio=${median(ratios).toFixed(3)} writes/WAIT=${writesPerWait.toFixed(1)}`);
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
  const rounds = envInt('BENCH_ROUNDS', 5, 1);
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
  const round3 = (value: number): number => Number(value.toFixed(3));
  const summary = {
    acknowledgedWrites: results.reduce((sum, r) => sum + r.acknowledged, 0),
    lostAcknowledgedWrites: results.reduce((sum, r) => sum + r.lost, 0),
    writeResumeSecondsMedian: round3(median(results.map((r) => r.resumeSeconds))),
    durableToPlainThroughputRatio: round3(median(results.flatMap((r) => r.ratios))),
    durableOnlineToPlainThroughputRatio: round3(median(results.flatMap((r) => r.onlineRatios))),
    durableToPlainRatioPerRun: results.map((r) => round3(median(r.ratios))),
    rounds: results.reduce((sum, r) => sum + r.ratios.length, 0),
    writers,
    meanWritesPerWait: Number(median(results.map((r) => r.writesPerWait)).toFixed(2)),
    // below 1 core: the durable phase waits on round trips (writes, WAIT, sentinels), not on this process's CPU
    writersCpuCoresDurableMedian: Number(median(results.flatMap((r) => r.durableCores)).toFixed(2)),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}
