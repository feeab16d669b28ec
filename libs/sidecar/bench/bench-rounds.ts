/**
 * The measuring rounds of `npm run bench:sidecar` (sidecar-bench.main.ts): statistics, the
 * variant type, concurrency-1 rounds interleaved call by call, and fixed-duration rounds at
 * concurrency 64 with client and server CPU per call.
 */
import { readFileSync } from 'node:fs';

/** One call of a variant under test. */
export type Caller = () => Promise<unknown>;

/** Keys of the compared setups. */
export type VariantKey =
  | 'raw'
  | 'sidecar'
  | 'rawOneHop'
  | 'rawTwoHops'
  | 'rawToSidecarServer'
  | 'sidecarToSidecarServer'
  | 'rawTraceparent'
  | 'sidecarMinimal'
  | 'sidecarNoCallerStack';

/** A setup under test. */
export interface Variant {
  readonly key: VariantKey;
  readonly label: string;
  readonly call: Caller;
  /** Measured at concurrency 64 too (else c1 only). */
  readonly c64: boolean;
  /** Processes serving this variant whose CPU counts as "server" (the server, plus proxies for hop variants). */
  readonly serverPids: readonly number[];
}

// ---------------------------------------------------------------------------------------------
// statistics

/** The q-quantile of an ascending array (NaN when empty). */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index];
}

/** The median (NaN when empty). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `value` rounded to `digits` decimals (non-finite values as they are). */
export const round = (value: number, digits = 2): number => (Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : value);

// ---------------------------------------------------------------------------------------------
// measurements

/** One concurrency-1 block of one variant. */
export interface C1Block {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  /** Calls in the block (fewer than asked when the round hit its time cap). */
  readonly calls: number;
  /** Every call's latency in µs, ascending (for quantiles pooled over rounds, see {@link pooledQuantile}). */
  readonly sorted: Float64Array;
}

/**
 * The q-quantile of every call of `blocks` together. A p99 of one round's ~1000 calls is its 10th
 * slowest call, so one stall of the machine moves it by a millisecond; pooled over the rounds (the
 * variants interleaved call by call in each), it rests on ten times as many.
 */
export function pooledQuantile(blocks: readonly C1Block[], q: number): number {
  const all = new Float64Array(blocks.reduce((n, b) => n + b.sorted.length, 0));
  let at = 0;
  for (const block of blocks) {
    all.set(block.sorted, at);
    at += block.sorted.length;
  }
  return quantile(all.sort(), q);
}

/** Fisher-Yates shuffle of `order` in place with a seeded LCG (the same sequence every run). */
function shuffle(order: number[], state: { seed: number }): number[] {
  for (let i = order.length - 1; i > 0; i--) {
    state.seed = (Math.imul(state.seed, 1_664_525) + 1_013_904_223) >>> 0;
    const j = state.seed % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * `n` sequential calls per variant, interleaved call by call so that every variant sees the same
 * machine at the same moment (drift and other processes' bursts cancel); each call timed with
 * hrtime. The block's p50/p99/mean in µs, per variant.
 *
 * The order of the variants is shuffled for every turn (seeded, so reproducible): with a fixed
 * A B C, C B A alternation the variants at the ends ran twice in a row at every turn (warm path,
 * same connection just used) and looked up to ~80 µs faster on this 2-core machine than the same
 * code in the middle (BENCH_DIAG showed the full client at the last position adding 8 µs, at the
 * second 89 µs); shuffled, every variant gets every position and predecessor equally often.
 */
export async function c1Round(variants: readonly Variant[], n: number, maxMs: number, chunkSize = 1): Promise<Map<VariantKey, C1Block>> {
  const samples = variants.map(() => new Float64Array(n));
  const order = [...variants.keys()];
  const rng = { seed: 0x5eed };
  const end = performance.now() + maxMs;
  let calls = n;
  if (chunkSize === 1) {
    let i = 0;
    for (; i < n && (i < 100 || performance.now() < end); i++) {
      for (const v of shuffle(order, rng)) {
        const started = process.hrtime.bigint();
        await variants[v].call();
        samples[v][i] = Number(process.hrtime.bigint() - started) / 1000;
      }
    }
    calls = i;
  } else {
    // Chunks of chunkSize calls per variant, the order of variants shuffled for every chunk.
    let i = 0;
    for (let chunk = 0; i < n && (i < 100 || performance.now() < end); chunk++) {
      const size = Math.min(chunkSize, n - i);
      for (const v of shuffle(order, rng)) {
        for (let k = 0; k < size; k++) {
          const started = process.hrtime.bigint();
          await variants[v].call();
          samples[v][i + k] = Number(process.hrtime.bigint() - started) / 1000;
        }
      }
      i += size;
    }
    calls = i;
  }
  const out = new Map<VariantKey, C1Block>();
  variants.forEach((variant, v) => {
    const sorted = samples[v].subarray(0, calls);
    let sum = 0;
    for (let k = 0; k < calls; k++) sum += sorted[k];
    sorted.sort();
    out.set(variant.key, { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), mean: sum / calls, calls, sorted });
  });
  return out;
}

/** One fixed-duration round of one variant at concurrency 64. */
export interface C64Round {
  readonly callsPerSecond: number;
  readonly errors: number;
  /** CPU time of THIS (client) process per completed call, µs (user + system). */
  readonly cpuMicrosPerCall: number;
  /** CPU time of the server process (and proxies, for hop variants) per completed call, µs (from /proc; NaN when unavailable). */
  readonly serverCpuMicrosPerCall: number;
  readonly firstError?: string;
}

/** CPU time (user + system) of process `pid` in µs, from /proc (Linux); NaN elsewhere. */
function processCpuMicros(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
const CLOCK_TICKS = 100; // USER_HZ on Linux


/** CPU µs of several processes together (NaN when any is unreadable or the list is empty). */
function processesCpuMicros(pids: readonly number[]): number {
  if (pids.length === 0) return NaN;
  let sum = 0;
  for (const pid of pids) sum += processCpuMicros(pid);
  return sum;
}

/**
 * `concurrency` callers in a loop for `durationMs`; completed calls per second, and the CPU per call
 * of this process and of `serverPids` together.
 */
export async function c64Round(call: Caller, durationMs: number, concurrency: number, serverPids: readonly number[]): Promise<C64Round> {
  let completed = 0;
  let errors = 0;
  let firstError: string | undefined;
  const serverCpuBefore = processesCpuMicros(serverPids);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const end = performance.now() + durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      try {
        await call();
        completed += 1;
      } catch (error) {
        errors += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const serverCpu = processesCpuMicros(serverPids) - serverCpuBefore;
  const calls = Math.max(1, completed);
  return { callsPerSecond: completed / seconds, errors, cpuMicrosPerCall: (cpu.user + cpu.system) / calls, serverCpuMicrosPerCall: serverCpu / calls, firstError };
}
