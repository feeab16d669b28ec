/**
 * `npm run bench:sidecar`: what the sidecar client stack costs on top of raw @grpc/grpc-js.
 *
 * Setup (one run, loopback):
 * - a real `redis-server` (the discovery registry) on a free port;
 * - ONE server process (bench-server.process.ts, its own event loop) serving Echo with handlers that
 *   answer at once: a PLAIN grpc-js server (the target of BOTH clients: the difference is the client
 *   stack alone) and a SidecarServer (only for the optional server-side figures). One instance each,
 *   registered in Redis;
 * - in this process, two clients of the plain server, each with its own HTTP/2 channel and the same
 *   channel options:
 *     raw:     grpc.Client.makeUnaryRequest with a 2 s deadline and the auth metadata the sidecar
 *              sends (authorization token, caller, caller instance), cloned per call;
 *     sidecar: Sidecar.client() discovering the instance through the Redis registry, so every call
 *              runs the whole stack: service breaker → deadline → retry (budget) → bulkhead →
 *              resolver view + p2c pick → instance breaker → gRPC call (+ traceparent) → metrics.
 *
 * Phases: policy stack alone (measurePolicyStack, no network); warm-up (discarded); concurrency 1:
 * alternating blocks of sequential calls, each timed with hrtime → p50/p99 per block, added =
 * sidecar − raw per round, median over rounds; concurrency 64: alternating fixed-duration rounds
 * → calls/s, ratio = sidecar / raw per round, median over rounds.
 *
 * Progress goes to stderr; the table and, LAST, one line of JSON go to stdout. Exit 0 whether or
 * not targets are met (it reports, it does not judge); exit 1 with a message on a real failure.
 *
 * Knobs (env): BENCH_C1_BLOCK (calls per block, default 2000), BENCH_C1_ROUNDS (default 5),
 * BENCH_C64_MS (ms per round, default 2000), BENCH_C64_ROUNDS (default 3),
 * BENCH_POLICY_ITERATIONS (default 200000), BENCH_SKIP_POLICY=1, BENCH_PROFILE_VARIANT=raw|sidecar|... (profiling:
 * run only that variant at c64 for BENCH_C64_MS after a warm-up, e.g. under `node --cpu-prof`).
 */
import * as grpc from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import type { ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { Sidecar } from '../src/lib/sidecar';
import { authMetadata } from '../src/lib/auth/index';
import { DEFAULT_CHANNEL_OPTIONS } from '../src/lib/client/channel-pool';
import type { ServiceClient } from '../src/lib/client/service-client';
import { findRedisServer, killAndWait, outputOf, spawnTsNode, startRedisServer, waitForOutput, waitUntil, type RedisServerHandle } from '../../testing/src/index';
import { loadEcho, type EchoReply, type EchoRequest } from '../test/fixtures/load-echo';
import { measurePolicyStack, type PolicyStackBenchResult } from './policy-stack';

const SERVER_SCRIPT = 'libs/sidecar/bench/bench-server.process.ts';
const PLAIN_SERVICE = 'bench-echo';
const SIDECAR_SERVICE = 'bench-echo-sidecar';
const TOKEN = 'bench-shared-token-0123456789abcdef';
const CALLER = 'bench-client';
const CALLER_INSTANCE = `bench-client-${process.pid}`;
const TIMEOUT_MS = 2000;
const CONCURRENCY = 64;
const REQUEST: EchoRequest = { message: 'ping' };

const TARGETS = { throughputRatioC64: 0.9, p50AddedMicrosC1: 50, policyStackMicrosPerCall: 5 } as const;

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer; got ${JSON.stringify(raw)}`);
  return value;
}

const C1_BLOCK = envInt('BENCH_C1_BLOCK', 2000);
const C1_ROUNDS = envInt('BENCH_C1_ROUNDS', 5);
const C64_MS = envInt('BENCH_C64_MS', 2000);
const C64_ROUNDS = envInt('BENCH_C64_ROUNDS', 3);
const POLICY_ITERATIONS = envInt('BENCH_POLICY_ITERATIONS', 200_000);

const benchStarted = Date.now();
function progress(message: string): void {
  process.stderr.write(`[bench:sidecar +${((Date.now() - benchStarted) / 1000).toFixed(1)}s] ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// statistics

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index];
}

function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round = (value: number, digits = 2): number => (Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : value);

// ---------------------------------------------------------------------------------------------
// the callers under test

type Caller = () => Promise<unknown>;

interface Variant {
  readonly key: 'raw' | 'sidecar' | 'rawToSidecarServer' | 'sidecarToSidecarServer';
  readonly label: string;
  readonly call: Caller;
}

/** A raw grpc-js unary caller of Echo with a deadline and the sidecar's auth metadata. */
function rawCaller(client: grpc.Client, metadata: grpc.Metadata): Caller {
  const method = loadEcho().definition['Echo'];
  return () =>
    new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        REQUEST,
        metadata.clone(),
        { deadline: Date.now() + TIMEOUT_MS },
        (error, response) => (error ? reject(error) : resolve(response)),
      );
    });
}

function sidecarCaller(client: ServiceClient): Caller {
  return () => client.call<EchoRequest, EchoReply>('Echo', REQUEST);
}

// ---------------------------------------------------------------------------------------------
// measurements

interface C1Block {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

/** `n` sequential calls, each timed; the block's p50/p99/mean in µs. */
async function c1Block(call: Caller, n: number): Promise<C1Block> {
  const samples = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const started = process.hrtime.bigint();
    await call();
    const micros = Number(process.hrtime.bigint() - started) / 1000;
    samples[i] = micros;
    sum += micros;
  }
  samples.sort();
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), mean: sum / n };
}

interface C64Round {
  readonly callsPerSecond: number;
  readonly errors: number;
  /** CPU time of THIS (client) process per completed call, µs (user + system). */
  readonly cpuMicrosPerCall: number;
  readonly firstError?: string;
}

/** `concurrency` callers in a loop for `durationMs`; completed calls per second. */
async function c64Round(call: Caller, durationMs: number, concurrency = CONCURRENCY): Promise<C64Round> {
  let completed = 0;
  let errors = 0;
  let firstError: string | undefined;
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
  return { callsPerSecond: completed / seconds, errors, cpuMicrosPerCall: (cpu.user + cpu.system) / Math.max(1, completed), firstError };
}

// ---------------------------------------------------------------------------------------------
// setup and teardown

interface Rig {
  redisServer?: RedisServerHandle;
  server?: ChildProcess;
  redis?: Redis;
  sidecar?: Sidecar;
  rawClients: grpc.Client[];
}

async function setUp(rig: Rig): Promise<{ variants: Variant[]; sidecarClient: ServiceClient }> {
  findRedisServer(); // a clear error ("install it: apt-get install redis-server") before anything starts
  progress('starting redis-server (discovery registry)');
  rig.redisServer = await startRedisServer();
  progress(`redis on 127.0.0.1:${rig.redisServer.port}; starting the server process`);
  rig.server = spawnTsNode(SERVER_SCRIPT, [], { TOKEN, REDIS_PORT: String(rig.redisServer.port) });
  const ready = await waitForOutput(rig.server, /READY (\d+) (\d+)/, 30_000);
  const plainPort = Number(ready[1]);
  const sidecarServerPort = Number(ready[2]);
  progress(`server process ${rig.server.pid}: plain grpc-js on :${plainPort}, SidecarServer on :${sidecarServerPort}`);

  const { definition } = loadEcho();
  rig.redis = new Redis({ host: '127.0.0.1', port: rig.redisServer.port, maxRetriesPerRequest: 1 });
  rig.redis.on('error', () => undefined); // the resolver reports (fail-static)
  rig.sidecar = new Sidecar({ service: CALLER, instanceId: CALLER_INSTANCE, auth: { token: TOKEN }, redis: rig.redis, faultInjection: false, logLevel: 'error' });
  const sidecarClient = rig.sidecar.client({ service: PLAIN_SERVICE, definition, idempotentMethods: ['Echo'], timeoutMs: TIMEOUT_MS });
  const sidecarToSidecarServer = rig.sidecar.client({ service: SIDECAR_SERVICE, definition, idempotentMethods: ['Echo'], timeoutMs: TIMEOUT_MS });
  await rig.sidecar.start();
  await waitUntil(() => sidecarClient.snapshot().instances.length === 1 && sidecarToSidecarServer.snapshot().instances.length === 1, {
    timeoutMs: 10_000,
    message: 'the sidecar clients did not discover the bench servers in Redis',
  });
  progress(`discovered through Redis: ${sidecarClient.snapshot().instances[0].address} (${PLAIN_SERVICE}), ${sidecarToSidecarServer.snapshot().instances[0].address} (${SIDECAR_SERVICE})`);

  // Raw clients: same channel options as the sidecar's pool, own HTTP/2 connection each.
  const metadata = authMetadata({ token: TOKEN }, CALLER, CALLER_INSTANCE);
  const rawPlain = new grpc.Client(`127.0.0.1:${plainPort}`, grpc.credentials.createInsecure(), { ...DEFAULT_CHANNEL_OPTIONS });
  const rawSidecarServer = new grpc.Client(`127.0.0.1:${sidecarServerPort}`, grpc.credentials.createInsecure(), { ...DEFAULT_CHANNEL_OPTIONS });
  rig.rawClients.push(rawPlain, rawSidecarServer);

  const variants: Variant[] = [
    { key: 'raw', label: 'raw grpc-js → plain server', call: rawCaller(rawPlain, metadata) },
    { key: 'sidecar', label: 'sidecar client → plain server', call: sidecarCaller(sidecarClient) },
    { key: 'rawToSidecarServer', label: 'raw grpc-js → SidecarServer', call: rawCaller(rawSidecarServer, metadata) },
    { key: 'sidecarToSidecarServer', label: 'sidecar client → SidecarServer', call: sidecarCaller(sidecarToSidecarServer) },
  ];
  // One call each: a real failure (auth, discovery, proto) stops the bench with its message.
  for (const variant of variants) {
    try {
      await variant.call();
    } catch (error) {
      throw new Error(`first call of "${variant.label}" failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { variants, sidecarClient };
}

async function tearDown(rig: Rig): Promise<void> {
  await rig.sidecar?.shutdown().catch(() => undefined);
  for (const client of rig.rawClients) client.close();
  rig.redis?.disconnect();
  if (rig.server !== undefined) {
    await killAndWait(rig.server, 'SIGTERM', 5000).catch(() => undefined);
  }
  await rig.redisServer?.stop().catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------
// main

async function main(): Promise<void> {
  const rig: Rig = { rawClients: [] };
  const onSignal = (signal: NodeJS.Signals): void => {
    progress(`${signal}: stopping`);
    void tearDown(rig).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let policy: PolicyStackBenchResult | undefined;
  if (process.env['BENCH_SKIP_POLICY'] !== '1') {
    progress(`policy stack alone (no network): ${POLICY_ITERATIONS} calls × 3 runs, best run`);
    policy = await measurePolicyStack({ iterations: POLICY_ITERATIONS });
    progress(`policy stack: ${policy.microsPerCall.toFixed(2)} µs/call (bare fn ${policy.baselineMicrosPerCall.toFixed(2)} µs)`);
  }

  try {
    const { variants } = await setUp(rig);
    const byKey = Object.fromEntries(variants.map((v) => [v.key, v])) as Record<Variant['key'], Variant>;

    const profiled = process.env['BENCH_PROFILE_VARIANT'] as Variant['key'] | undefined;
    if (profiled !== undefined && profiled !== '') {
      // Profiling mode (run under `node --cpu-prof`): one variant at c64 only, after a warm-up.
      const variant = byKey[profiled];
      if (variant === undefined) throw new Error(`BENCH_PROFILE_VARIANT must be one of ${Object.keys(byKey).join(', ')}; got ${JSON.stringify(profiled)}`);
      await c64Round(variant.call, 1000);
      progress(`profiling mode: ${variant.label} at c${CONCURRENCY} for ${C64_MS} ms`);
      const result = await c64Round(variant.call, C64_MS);
      progress(`${variant.key} c${CONCURRENCY}: ${Math.round(result.callsPerSecond)} calls/s, ${result.cpuMicrosPerCall.toFixed(1)} µs client CPU/call`);
      await tearDown(rig);
      return;
    }

    progress('warm-up (discarded): 3000 sequential calls and 0.5 s at c64 per variant');
    for (const variant of variants) {
      await c1Block(variant.call, 3000);
      await c64Round(variant.call, 500);
    }

    // ---- concurrency 1: alternating blocks, order reversed every other round (cancels drift).
    const c1: Record<Variant['key'], C1Block[]> = { raw: [], sidecar: [], rawToSidecarServer: [], sidecarToSidecarServer: [] };
    for (let r = 0; r < C1_ROUNDS; r++) {
      const order = r % 2 === 0 ? variants : [...variants].reverse();
      for (const variant of order) c1[variant.key].push(await c1Block(variant.call, C1_BLOCK));
      progress(
        `c1 round ${r + 1}/${C1_ROUNDS} (${C1_BLOCK} calls per variant): p50 ` +
          variants.map((v) => `${v.key} ${c1[v.key][r].p50.toFixed(0)} µs`).join(', '),
      );
    }

    // ---- concurrency 64: alternating fixed-duration rounds.
    const c64Variants = [byKey.raw, byKey.sidecar, byKey.rawToSidecarServer];
    const c64: Partial<Record<Variant['key'], C64Round[]>> = { raw: [], sidecar: [], rawToSidecarServer: [] };
    for (let r = 0; r < C64_ROUNDS; r++) {
      const order = r % 2 === 0 ? c64Variants : [...c64Variants].reverse();
      for (const variant of order) c64[variant.key]?.push(await c64Round(variant.call, C64_MS));
      progress(
        `c64 round ${r + 1}/${C64_ROUNDS} (${C64_MS} ms per variant): ` +
          c64Variants.map((v) => `${v.key} ${Math.round(c64[v.key]?.[r]?.callsPerSecond ?? NaN)} calls/s`).join(', '),
      );
    }

    // ---- figures (paired per round, then the median over rounds)
    const pairedC1 = (a: Variant['key'], b: Variant['key'], f: (x: C1Block) => number): number => median(c1[a].map((block, i) => f(block) - f(c1[b][i])));
    const medC1 = (key: Variant['key'], f: (x: C1Block) => number): number => median(c1[key].map(f));
    const c64Of = (key: Variant['key']): C64Round[] => c64[key] ?? [];
    const medC64 = (key: Variant['key'], f: (x: C64Round) => number): number => median(c64Of(key).map(f));
    const ratioC64 = (a: Variant['key'], b: Variant['key']): number => median(c64Of(a).map((x, i) => x.callsPerSecond / c64Of(b)[i].callsPerSecond));
    const errorsC64 = (key: Variant['key']): number => c64Of(key).reduce((sum, x) => sum + x.errors, 0);

    const throughputRatioC64 = ratioC64('sidecar', 'raw');
    const p50AddedMicrosC1 = pairedC1('sidecar', 'raw', (x) => x.p50);
    const p99AddedMicrosC1 = pairedC1('sidecar', 'raw', (x) => x.p99);
    const policyStackMicrosPerCall = policy?.microsPerCall ?? NaN;
    const figures = {
      throughputRatioC64: round(throughputRatioC64, 3),
      p50AddedMicrosC1: round(p50AddedMicrosC1, 1),
      p99AddedMicrosC1: round(p99AddedMicrosC1, 1),
      policyStackMicrosPerCall: round(policyStackMicrosPerCall, 2),
      rawCallsPerSecondC64: Math.round(medC64('raw', (x) => x.callsPerSecond)),
      sidecarCallsPerSecondC64: Math.round(medC64('sidecar', (x) => x.callsPerSecond)),
      rawClientCpuMicrosPerCallC64: round(medC64('raw', (x) => x.cpuMicrosPerCall), 1),
      sidecarClientCpuMicrosPerCallC64: round(medC64('sidecar', (x) => x.cpuMicrosPerCall), 1),
      rawP50MicrosC1: round(medC1('raw', (x) => x.p50), 1),
      sidecarP50MicrosC1: round(medC1('sidecar', (x) => x.p50), 1),
      rawP99MicrosC1: round(medC1('raw', (x) => x.p99), 1),
      sidecarP99MicrosC1: round(medC1('sidecar', (x) => x.p99), 1),
      policyStackOverheadMicrosPerCall: round(policy?.overheadMicrosPerCall ?? NaN, 2),
      sidecarServerP50AddedMicrosC1: round(pairedC1('rawToSidecarServer', 'raw', (x) => x.p50), 1),
      sidecarServerThroughputRatioC64: round(ratioC64('rawToSidecarServer', 'raw'), 3),
      endToEndP50AddedMicrosC1: round(pairedC1('sidecarToSidecarServer', 'raw', (x) => x.p50), 1),
      errorsC64: errorsC64('raw') + errorsC64('sidecar') + errorsC64('rawToSidecarServer'),
      setup: 'one server process (plain grpc-js Echo, 1 instance, target of raw and sidecar clients); client in this process; loopback',
      targets: TARGETS,
      targetsMet: {
        throughputRatioC64: throughputRatioC64 >= TARGETS.throughputRatioC64,
        p50AddedMicrosC1: p50AddedMicrosC1 <= TARGETS.p50AddedMicrosC1,
        policyStackMicrosPerCall: policyStackMicrosPerCall <= TARGETS.policyStackMicrosPerCall,
      },
    };

    // ---- human-readable table
    const fmt = (value: number, digits = 0): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
    const pad = (text: string, width: number): string => text.padEnd(width);
    const lines: string[] = [];
    lines.push('');
    lines.push(`Sidecar client stack vs raw @grpc/grpc-js (loopback, server in its own process, ${cpus().length} CPUs, node ${process.version})`);
    lines.push(`c1: ${C1_ROUNDS} rounds × ${C1_BLOCK} sequential calls per variant (median of block p50/p99); c64: ${C64_ROUNDS} rounds × ${C64_MS} ms per variant (median)`);
    lines.push('');
    lines.push(`${pad('variant', 34)}${pad('c1 p50 µs', 11)}${pad('c1 p99 µs', 11)}${pad('c1 mean µs', 12)}${pad('c64 calls/s', 13)}${pad('c64 client CPU µs/call', 24)}c64 errors`);
    for (const variant of variants) {
      const inC64 = c64[variant.key] !== undefined;
      lines.push(
        pad(variant.label, 34) +
          pad(fmt(medC1(variant.key, (x) => x.p50)), 11) +
          pad(fmt(medC1(variant.key, (x) => x.p99)), 11) +
          pad(fmt(medC1(variant.key, (x) => x.mean)), 12) +
          pad(inC64 ? fmt(medC64(variant.key, (x) => x.callsPerSecond)) : '-', 13) +
          pad(inC64 ? fmt(medC64(variant.key, (x) => x.cpuMicrosPerCall), 1) : '-', 24) +
          (inC64 ? String(errorsC64(variant.key)) : '-'),
      );
    }
    lines.push('');
    const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
    lines.push(`${pad('figure', 52)}${pad('value', 12)}${pad('target', 10)}verdict`);
    lines.push(`${pad('throughput ratio at c64 (sidecar / raw)', 52)}${pad(fmt(throughputRatioC64, 3), 12)}${pad('≥ 0.90', 10)}${verdict(figures.targetsMet.throughputRatioC64)}`);
    lines.push(`${pad('p50 added at c1 (sidecar − raw), µs', 52)}${pad(fmt(p50AddedMicrosC1, 1), 12)}${pad('≤ 50', 10)}${verdict(figures.targetsMet.p50AddedMicrosC1)}`);
    lines.push(`${pad('p99 added at c1 (sidecar − raw), µs', 52)}${pad(fmt(p99AddedMicrosC1, 1), 12)}${pad('-', 10)}-`);
    lines.push(`${pad('policy stack alone, µs per call (no network)', 52)}${pad(fmt(policyStackMicrosPerCall, 2), 12)}${pad('≤ 5', 10)}${verdict(figures.targetsMet.policyStackMicrosPerCall)}`);
    lines.push(`${pad('  of which policies (minus bare fn), µs', 52)}${pad(fmt(policy?.overheadMicrosPerCall ?? NaN, 2), 12)}`);
    lines.push(`${pad('client CPU per call at c64: raw / sidecar, µs', 52)}${pad(`${fmt(figures.rawClientCpuMicrosPerCallC64, 1)} / ${fmt(figures.sidecarClientCpuMicrosPerCallC64, 1)}`, 12)}`);
    lines.push(`${pad('(optional) SidecarServer p50 added at c1, µs', 52)}${pad(fmt(figures.sidecarServerP50AddedMicrosC1, 1), 12)}`);
    lines.push(`${pad('(optional) SidecarServer throughput ratio at c64', 52)}${pad(fmt(figures.sidecarServerThroughputRatioC64, 3), 12)}`);
    lines.push(`${pad('(optional) sidecar client → SidecarServer p50 added, µs', 52)}${pad(fmt(figures.endToEndP50AddedMicrosC1, 1), 12)}`);
    for (const variant of c64Variants) {
      const failed = c64Of(variant.key).find((x) => x.firstError !== undefined);
      if (failed) lines.push(`note: ${variant.label} had ${errorsC64(variant.key)} failed calls at c64, first: ${failed.firstError}`);
    }
    lines.push('');
    process.stdout.write(`${lines.join('\n')}\n`);

    progress('done; stopping the server process and redis');
    await tearDown(rig);
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } catch (error) {
    const output = rig.server === undefined ? '' : outputOf(rig.server).trim();
    await tearDown(rig);
    if (output !== '') process.stderr.write(`server process output:\n${output.split('\n').slice(-20).join('\n')}\n`);
    throw error;
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:sidecar failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
