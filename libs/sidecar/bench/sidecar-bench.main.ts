/**
 * `npm run bench:sidecar` (entry point: sidecar.bench.ts): what the sidecar client stack costs on
 * top of raw @grpc/grpc-js.
 *
 * Setup (one run, loopback):
 * - a real `redis-server` (the discovery registry) on a free port;
 * - ONE server process (bench-server.process.ts, its own event loop) serving Echo with handlers that
 *   answer at once: a PLAIN grpc-js server (the target of BOTH clients: the difference is the client
 *   stack alone) and a SidecarServer (only for the optional server-side figures). One instance each,
 *   registered in Redis;
 * - in this process, two clients of the plain server with the same channel options (grpc-js's
 *   subchannel pool may let them share one HTTP/2 connection; they never run at the same time):
 *     raw:     grpc.Client.makeUnaryRequest with a 2 s deadline and the auth metadata the sidecar
 *              sends (authorization token, caller, caller instance), cloned per call;
 *     sidecar: Sidecar.client() discovering the instance through the Redis registry, so every call
 *              runs the whole stack: service breaker → deadline → retry (budget) → bulkhead →
 *              resolver view + p2c pick → instance breaker → gRPC call (+ traceparent) → metrics.
 *
 * Phases: policy stack alone (measurePolicyStack, no network) and client path without network
 * (client-path.ts); warm-up (discarded); concurrency 1: rounds of 2000 sequential calls per
 * variant, interleaved call by call (so every variant sees the same machine at the same moment),
 * each timed with hrtime → p50/p99 per round, added = sidecar − raw per round, median over rounds;
 * concurrency 64: alternating fixed-duration rounds → calls/s, ratio = sidecar / raw per round
 * (adjacent in time), median over rounds.
 *
 * Progress goes to stderr; the table and, LAST, one line of JSON go to stdout. Exit 0 whether or
 * not targets are met (it reports, it does not judge); exit 1 with a message on a real failure.
 *
 * Also reported: the client path's in-process cost with the network removed (client-path.ts), the
 * client and server processes' CPU per call at c64, and (optional) the SidecarServer's own cost.
 *
 * Knobs (env): BENCH_C1_BLOCK (calls per variant per round, default 2000), BENCH_C1_ROUNDS (default 5),
 * BENCH_C1_MAX_MS (time cap of a c1 round, default 3500: fewer calls on a loaded machine),
 * BENCH_C1_CHUNK (calls per variant before switching to the next, default 1: call by call),
 * BENCH_C64_MS (ms per round, default 500), BENCH_C64_ROUNDS (default 12), BENCH_DIAG=1 (adds
 * "raw + traceparent header" — what the extra header alone costs on the wire —, "sidecar
 * minimal" — the client with service breaker, retry, bulkhead and metrics off — and the full
 * client with grpc-js's per-call caller-stack capture switched off on its channel),
 * BENCH_POLICY_ITERATIONS (default 200000), BENCH_SKIP_POLICY=1, BENCH_SKIP_OTEL=1 (skips the OpenTelemetry
 * overhead phase: SDK at 10 % sampling vs none, otel-overhead.ts), BENCH_PROFILE_VARIANT=raw|sidecar|... (profiling:
 * run only that variant at c64 for BENCH_C64_MS after a warm-up, e.g. under `node --cpu-prof`).
 */
import * as grpc from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Sidecar } from '../src/lib/sidecar';
import { authMetadata } from '../src/lib/auth/index';
import { DEFAULT_CHANNEL_OPTIONS } from '../src/lib/client/channel-pool';
import { ServiceClient } from '../src/lib/client/service-client';
import { createResolver } from '../src/lib/discovery/create-resolver';
import type { Resolver } from '../src/lib/discovery/resolver';
import { findRedisServer, killAndWait, outputOf, spawnTsNode, startRedisServer, waitForOutput, waitUntil, type RedisServerHandle } from '@failsoft/testing';
import { loadEcho, type EchoReply, type EchoRequest } from '../test/fixtures/load-echo';
import { formatTraceparent, newTrace } from '../src/lib/telemetry/trace-context';
import { MetadataKeys } from '../src/lib/core/metadata-keys';
import { measureClientPath, type ClientPathResult } from './client-path';
import { measurePolicyStack, type PolicyStackBenchResult } from './policy-stack';
import { measureOtelOverhead } from './otel-overhead';

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
const C1_MAX_MS = envInt('BENCH_C1_MAX_MS', 3500);
const C1_CHUNK = envInt('BENCH_C1_CHUNK', 1);
const C64_MS = envInt('BENCH_C64_MS', 500);
const C64_ROUNDS = envInt('BENCH_C64_ROUNDS', 12);
const DIAG = process.env['BENCH_DIAG'] === '1';
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

type VariantKey = 'raw' | 'sidecar' | 'rawToSidecarServer' | 'sidecarToSidecarServer' | 'rawTraceparent' | 'sidecarMinimal' | 'sidecarNoCallerStack';

interface Variant {
  readonly key: VariantKey;
  readonly label: string;
  readonly call: Caller;
  /** Measured at concurrency 64 too (else c1 only). */
  readonly c64: boolean;
}

/** A raw grpc-js unary caller of Echo with a deadline and the sidecar's auth metadata. */
function rawCaller(client: grpc.Client, metadata: grpc.Metadata, withTraceparent = false): Caller {
  const method = loadEcho().definition['Echo'];
  const perCall = withTraceparent
    ? () => {
        const md = metadata.clone();
        md.set(MetadataKeys.traceparent, formatTraceparent(newTrace()));
        return md;
      }
    : () => metadata.clone();
  return () =>
    new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        REQUEST,
        perCall(),
        { deadline: Date.now() + TIMEOUT_MS },
        (error, response) => (error ? reject(error) : resolve(response)),
      );
    });
}

function sidecarCaller(client: ServiceClient): Caller {
  const echo = client.typed<{ Echo: [EchoRequest, EchoReply] }>().Echo;
  return () => echo(REQUEST);
}

// ---------------------------------------------------------------------------------------------
// measurements

interface C1Block {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  /** Calls in the block (fewer than asked when the round hit its time cap). */
  readonly calls: number;
}

/**
 * `n` sequential calls per variant, interleaved call by call (A B C, C B A, A B C ...) so that every
 * variant sees the same machine at the same moment (drift and other processes' bursts cancel);
 * each call timed with hrtime. The block's p50/p99/mean in µs, per variant.
 */
async function c1Round(variants: readonly Variant[], n: number, maxMs: number): Promise<Map<VariantKey, C1Block>> {
  const samples = variants.map(() => new Float64Array(n));
  const reversed = [...variants.keys()].reverse();
  const forward = [...variants.keys()];
  const end = performance.now() + maxMs;
  let calls = n;
  if (C1_CHUNK === 1) {
    let i = 0;
    for (; i < n && (i < 100 || performance.now() < end); i++) {
      for (const v of i % 2 === 0 ? forward : reversed) {
        const started = process.hrtime.bigint();
        await variants[v].call();
        samples[v][i] = Number(process.hrtime.bigint() - started) / 1000;
      }
    }
    calls = i;
  } else {
    // Chunks of C1_CHUNK calls per variant, the order of variants reversed every other chunk.
    let i = 0;
    for (let chunk = 0; i < n && (i < 100 || performance.now() < end); chunk++) {
      const size = Math.min(C1_CHUNK, n - i);
      for (const v of chunk % 2 === 0 ? forward : reversed) {
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
    out.set(variant.key, { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), mean: sum / calls, calls });
  });
  return out;
}

interface C64Round {
  readonly callsPerSecond: number;
  readonly errors: number;
  /** CPU time of THIS (client) process per completed call, µs (user + system). */
  readonly cpuMicrosPerCall: number;
  /** CPU time of the server process per completed call, µs (from /proc; NaN when unavailable). */
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

let serverPid: number | undefined;

/** `concurrency` callers in a loop for `durationMs`; completed calls per second. */
async function c64Round(call: Caller, durationMs: number, concurrency = CONCURRENCY): Promise<C64Round> {
  let completed = 0;
  let errors = 0;
  let firstError: string | undefined;
  const serverCpuBefore = processCpuMicros(serverPid);
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
  const serverCpu = processCpuMicros(serverPid) - serverCpuBefore;
  const calls = Math.max(1, completed);
  return { callsPerSecond: completed / seconds, errors, cpuMicrosPerCall: (cpu.user + cpu.system) / calls, serverCpuMicrosPerCall: serverCpu / calls, firstError };
}

// ---------------------------------------------------------------------------------------------
// setup and teardown

interface Rig {
  redisServer?: RedisServerHandle;
  server?: ChildProcess;
  redis?: Redis;
  sidecar?: Sidecar;
  rawClients: grpc.Client[];
  /** Diagnostic clients built without the facade, with their resolvers. */
  extra: { client: ServiceClient; resolver: Resolver }[];
}

async function setUp(rig: Rig): Promise<{ variants: Variant[]; sidecarClient: ServiceClient }> {
  progress('starting redis-server (discovery registry)');
  rig.redisServer = await startRedisServer();
  progress(`redis on 127.0.0.1:${rig.redisServer.port}; starting the server process`);
  rig.server = spawnTsNode(SERVER_SCRIPT, [], { TOKEN, REDIS_PORT: String(rig.redisServer.port) });
  const ready = await waitForOutput(rig.server, /READY (\d+) (\d+)/, 30_000);
  serverPid = rig.server.pid;
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

  // Raw clients: the same channel options as the sidecar's pool (so grpc-js may share one subchannel,
  // i.e. one HTTP/2 connection per server, between raw and sidecar: they never run at the same time).
  const metadata = authMetadata({ token: TOKEN }, CALLER, CALLER_INSTANCE);
  const rawPlain = new grpc.Client(`127.0.0.1:${plainPort}`, grpc.credentials.createInsecure(), { ...DEFAULT_CHANNEL_OPTIONS });
  const rawSidecarServer = new grpc.Client(`127.0.0.1:${sidecarServerPort}`, grpc.credentials.createInsecure(), { ...DEFAULT_CHANNEL_OPTIONS });
  rig.rawClients.push(rawPlain, rawSidecarServer);

  const variants: Variant[] = [
    { key: 'raw', label: 'raw grpc-js → plain server', call: rawCaller(rawPlain, metadata), c64: true },
    { key: 'sidecar', label: 'sidecar client → plain server', call: sidecarCaller(sidecarClient), c64: true },
    { key: 'rawToSidecarServer', label: 'raw grpc-js → SidecarServer', call: rawCaller(rawSidecarServer, metadata), c64: true },
    { key: 'sidecarToSidecarServer', label: 'sidecar client → SidecarServer', call: sidecarCaller(sidecarToSidecarServer), c64: false },
  ];
  if (DIAG) {
    // Raw plus the traceparent header the sidecar adds to every call (what the header alone costs).
    const rawTrace = new grpc.Client(`127.0.0.1:${plainPort}`, grpc.credentials.createInsecure(), { ...DEFAULT_CHANNEL_OPTIONS });
    rig.rawClients.push(rawTrace);
    variants.push({ key: 'rawTraceparent', label: 'raw + traceparent → plain server', call: rawCaller(rawTrace, metadata, true), c64: true });
    // The sidecar client with every optional layer off (no service breaker, retry, bulkhead, metrics):
    // what remains is discovery view + p2c + deadline + instance breaker + metadata/trace.
    const resolver = createResolver({ kind: 'redis', redis: rig.redis, service: PLAIN_SERVICE });
    await resolver.start();
    const minimal = new ServiceClient({
      service: PLAIN_SERVICE,
      definition,
      resolver,
      caller: { service: CALLER, instance: CALLER_INSTANCE },
      auth: { token: TOKEN },
      idempotentMethods: ['Echo'],
      timeoutMs: TIMEOUT_MS,
      serviceBreaker: false,
      retry: false,
      bulkhead: false,
    });
    rig.extra.push({ client: minimal, resolver });
    variants.push({ key: 'sidecarMinimal', label: 'sidecar minimal → plain server', call: sidecarCaller(minimal), c64: true });
    // The full sidecar client, with grpc-js's per-call caller-stack capture (`new Error()` in
    // makeUnaryRequest) switched off on ITS channel only: what that one line costs the sidecar.
    const resolver2 = createResolver({ kind: 'redis', redis: rig.redis, service: PLAIN_SERVICE });
    await resolver2.start();
    const noStack = new ServiceClient({
      service: PLAIN_SERVICE,
      definition,
      resolver: resolver2,
      caller: { service: CALLER, instance: CALLER_INSTANCE },
      auth: { token: TOKEN },
      idempotentMethods: ['Echo'],
      timeoutMs: TIMEOUT_MS,
      metrics: rig.sidecar.metrics,
    });
    rig.extra.push({ client: noStack, resolver: resolver2 });
    await noStack.call('Echo', REQUEST); // creates the channel
    const channel = (noStack as unknown as { pool: { get(instance: { address: string }): grpc.Client } }).pool.get({ address: `127.0.0.1:${plainPort}` });
    const original = channel.makeUnaryRequest;
    (channel as unknown as { makeUnaryRequest: (...args: unknown[]) => unknown }).makeUnaryRequest = function (this: grpc.Client, ...args: unknown[]) {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      } finally {
        Error.stackTraceLimit = limit;
      }
    };
    variants.push({ key: 'sidecarNoCallerStack', label: 'sidecar, no grpc caller stack', call: sidecarCaller(noStack), c64: true });
  }
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
  for (const { client, resolver } of rig.extra.splice(0)) {
    client.shutdown();
    await resolver.shutdown().catch(() => undefined);
  }
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

/** Runs the whole bench; resolves when done (the caller exits). */
export async function main(): Promise<void> {
  const rig: Rig = { rawClients: [], extra: [] };
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    // Ctrl-C reaches this process twice (the terminal's process group, and the launcher forwarding
    // it): clean up once and ignore the repeats.
    if (stopping) return;
    stopping = true;
    progress(`${signal}: stopping the server process and redis`);
    void tearDown(rig).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  findRedisServer(); // fails at once, with how to install it, rather than after the in-process phases
  const profiled = (process.env['BENCH_PROFILE_VARIANT'] || undefined) as VariantKey | undefined;

  // ---- in-process figures first, before any network traffic shapes the JIT
  let policy: PolicyStackBenchResult | undefined;
  let clientPath: ClientPathResult | undefined;
  if (process.env['BENCH_SKIP_POLICY'] !== '1' && !profiled) {
    progress(`policy stack alone (no network): best of 3 × ${POLICY_ITERATIONS} calls`);
    policy = await measurePolicyStack({ iterations: POLICY_ITERATIONS });
    progress(`policy stack: ${policy.microsPerCall.toFixed(2)} µs/call (bare fn ${policy.baselineMicrosPerCall.toFixed(2)} µs)`);
    progress('client path without network (grpc-js on a fake channel): raw vs sidecar, best of 3 × 20000 calls');
    clientPath = await measureClientPath({ iterations: 20_000, runs: 3, ablations: false });
    progress(`client path: raw ${clientPath.rows[0].micros.toFixed(2)} µs/call, sidecar ${clientPath.rows[1].micros.toFixed(2)} µs/call`);
  }

  try {
    const { variants } = await setUp(rig);
    const byKey = Object.fromEntries(variants.map((v) => [v.key, v])) as Record<VariantKey, Variant>;

    if (profiled !== undefined) {
      // Profiling mode (run under `node --cpu-prof`): one variant at c64 only, after a warm-up.
      const variant = byKey[profiled];
      if (variant === undefined) throw new Error(`BENCH_PROFILE_VARIANT must be one of ${Object.keys(byKey).join(', ')}; got ${JSON.stringify(profiled)}`);
      await c64Round(variant.call, 1000);
      progress(`profiling mode: ${variant.label} at c${CONCURRENCY} for ${C64_MS} ms`);
      const result = await c64Round(variant.call, C64_MS);
      progress(
        `${variant.key} c${CONCURRENCY}: ${Math.round(result.callsPerSecond)} calls/s (${Math.round((result.callsPerSecond * C64_MS) / 1000)} calls), ` +
          `client CPU ${result.cpuMicrosPerCall.toFixed(1)} µs/call, server CPU ${result.serverCpuMicrosPerCall.toFixed(1)} µs/call`,
      );
      await tearDown(rig);
      return;
    }

    progress('warm-up (discarded): 1000 sequential calls and 0.3 s at c64 per variant');
    await c1Round(variants, 1000, 2000);
    for (const variant of variants) await c64Round(variant.call, 300);

    // ---- concurrency 1: rounds of C1_BLOCK calls per variant, interleaved call by call.
    const c1 = new Map<VariantKey, C1Block[]>(variants.map((v) => [v.key, []]));
    const c1Of = (key: VariantKey): C1Block[] => c1.get(key) ?? [];
    for (let r = 0; r < C1_ROUNDS; r++) {
      const blocks = await c1Round(variants, C1_BLOCK, C1_MAX_MS);
      for (const [key, block] of blocks) c1Of(key).push(block);
      progress(`c1 round ${r + 1}/${C1_ROUNDS} (${blocks.get('raw')?.calls} calls per variant), p50: ` + variants.map((v) => `${v.key} ${c1Of(v.key)[r].p50.toFixed(0)} µs`).join(', '));
    }

    // ---- concurrency 64: alternating fixed-duration rounds.
    const c64Variants = variants.filter((v) => v.c64);
    const c64 = new Map<VariantKey, C64Round[]>(c64Variants.map((v) => [v.key, []]));
    const c64Of = (key: VariantKey): C64Round[] => c64.get(key) ?? [];
    for (let r = 0; r < C64_ROUNDS; r++) {
      const order = r % 2 === 0 ? c64Variants : [...c64Variants].reverse();
      for (const variant of order) c64Of(variant.key).push(await c64Round(variant.call, C64_MS));
      progress(`c64 round ${r + 1}/${C64_ROUNDS} (${C64_MS} ms per variant): ` + c64Variants.map((v) => `${v.key} ${Math.round(c64Of(v.key)[r].callsPerSecond)}/s`).join(', '));
    }

    // ---- the same sidecar client with the OpenTelemetry SDK registered (10 % sampling) vs none: otel-overhead.ts
    const sidecarVariant = byKey['sidecar'];
    const otel = process.env['BENCH_SKIP_OTEL'] === '1' ? undefined : await measureOtelOverhead(() => c64Round(sidecarVariant.call, C64_MS), { rounds: C64_ROUNDS, progress });

    // ---- figures (paired per round, then the median over rounds)
    const pairedC1 = (a: VariantKey, b: VariantKey, f: (x: C1Block) => number): number => median(c1Of(a).map((block, i) => f(block) - f(c1Of(b)[i])));
    const medC1 = (key: VariantKey, f: (x: C1Block) => number): number => median(c1Of(key).map(f));
    const medC64 = (key: VariantKey, f: (x: C64Round) => number): number => median(c64Of(key).map(f));
    const ratioC64 = (a: VariantKey, b: VariantKey): number => median(c64Of(a).map((x, i) => x.callsPerSecond / c64Of(b)[i].callsPerSecond));
    const errorsC64 = (key: VariantKey): number => c64Of(key).reduce((sum, x) => sum + x.errors, 0);

    const throughputRatioC64 = ratioC64('sidecar', 'raw');
    const p50AddedMicrosC1 = pairedC1('sidecar', 'raw', (x) => x.p50);
    const p99AddedMicrosC1 = pairedC1('sidecar', 'raw', (x) => x.p99);
    const policyStackMicrosPerCall = policy?.microsPerCall ?? NaN;
    const rawCpu = medC64('raw', (x) => x.cpuMicrosPerCall);
    const sidecarCpu = medC64('sidecar', (x) => x.cpuMicrosPerCall);
    const rawServerCpu = medC64('raw', (x) => x.serverCpuMicrosPerCall);
    const sidecarServerCpu = medC64('sidecar', (x) => x.serverCpuMicrosPerCall);
    const figures: Record<string, unknown> = {
      throughputRatioC64: round(throughputRatioC64, 3),
      p50AddedMicrosC1: round(p50AddedMicrosC1, 1),
      p99AddedMicrosC1: round(p99AddedMicrosC1, 1),
      policyStackMicrosPerCall: round(policyStackMicrosPerCall, 2),
      rawCallsPerSecondC64: Math.round(medC64('raw', (x) => x.callsPerSecond)),
      sidecarCallsPerSecondC64: Math.round(medC64('sidecar', (x) => x.callsPerSecond)),
      rawP50MicrosC1: round(medC1('raw', (x) => x.p50), 1),
      sidecarP50MicrosC1: round(medC1('sidecar', (x) => x.p50), 1),
      rawP99MicrosC1: round(medC1('raw', (x) => x.p99), 1),
      sidecarP99MicrosC1: round(medC1('sidecar', (x) => x.p99), 1),
      clientCpuMicrosPerCallC64: { raw: round(rawCpu, 1), sidecar: round(sidecarCpu, 1) },
      serverCpuMicrosPerCallC64: { raw: round(rawServerCpu, 1), sidecar: round(sidecarServerCpu, 1) },
      // What the ratio would be if CPU (client + server, same machine) were the only limit.
      cpuBoundThroughputRatioC64: round((rawCpu + rawServerCpu) / (sidecarCpu + sidecarServerCpu), 3),
      clientPathAddedMicrosNoNetwork: round(clientPath?.addedMicrosPerCall ?? NaN, 2),
      policyStackOverheadMicrosPerCall: round(policy?.overheadMicrosPerCall ?? NaN, 2),
      sidecarServerP50AddedMicrosC1: round(pairedC1('rawToSidecarServer', 'raw', (x) => x.p50), 1),
      sidecarServerThroughputRatioC64: round(ratioC64('rawToSidecarServer', 'raw'), 3),
      endToEndP50AddedMicrosC1: round(pairedC1('sidecarToSidecarServer', 'raw', (x) => x.p50), 1),
      ...(DIAG
        ? {
            traceparentHeaderP50AddedMicrosC1: round(pairedC1('rawTraceparent', 'raw', (x) => x.p50), 1),
            traceparentHeaderThroughputRatioC64: round(ratioC64('rawTraceparent', 'raw'), 3),
            minimalSidecarP50AddedMicrosC1: round(pairedC1('sidecarMinimal', 'raw', (x) => x.p50), 1),
            minimalSidecarThroughputRatioC64: round(ratioC64('sidecarMinimal', 'raw'), 3),
            noCallerStackSidecarP50AddedMicrosC1: round(pairedC1('sidecarNoCallerStack', 'raw', (x) => x.p50), 1),
            noCallerStackSidecarThroughputRatioC64: round(ratioC64('sidecarNoCallerStack', 'raw'), 3),
          }
        : {}),
      errorsC64: c64Variants.reduce((sum, v) => sum + errorsC64(v.key), 0),
      loadAverage1m: round(loadavg()[0], 2),
      setup: 'plain grpc-js Echo server (1 instance) in a child process, target of both raw and sidecar clients; loopback',
      targets: TARGETS,
      targetsMet: {
        throughputRatioC64: throughputRatioC64 >= TARGETS.throughputRatioC64,
        p50AddedMicrosC1: p50AddedMicrosC1 <= TARGETS.p50AddedMicrosC1,
        policyStackMicrosPerCall: policy === undefined ? null : policyStackMicrosPerCall <= TARGETS.policyStackMicrosPerCall,
      },
    };
    if (otel !== undefined) figures['otel'] = otel;
    const met = figures['targetsMet'] as Record<string, boolean | null>;

    // ---- human-readable table
    const fmt = (value: number, digits = 0): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
    const pad = (text: string, width: number): string => text.padEnd(width);
    const lines: string[] = [];
    lines.push('');
    lines.push(`Sidecar client stack vs raw @grpc/grpc-js — loopback, server in its own process, ${cpus().length} CPUs, node ${process.version}, load ${loadavg()[0].toFixed(2)}`);
    lines.push(`c1: ${C1_ROUNDS} rounds × ${median(c1Of('raw').map((b) => b.calls))} sequential calls per variant (median), interleaved call by call (median over rounds of each round's p50/p99)`);
    lines.push(`c64: ${C64_ROUNDS} rounds × ${C64_MS} ms per variant, alternating order (median over rounds; ratios paired per round)`);
    lines.push('');
    lines.push(`${pad('variant', 36)}${pad('c1 p50', 9)}${pad('c1 p99', 9)}${pad('c1 mean', 9)}${pad('c64 calls/s', 13)}${pad('c64 CPU/call client+server', 28)}errors`);
    for (const variant of variants) {
      const inC64 = variant.c64;
      lines.push(
        pad(variant.label, 36) +
          pad(fmt(medC1(variant.key, (x) => x.p50)), 9) +
          pad(fmt(medC1(variant.key, (x) => x.p99)), 9) +
          pad(fmt(medC1(variant.key, (x) => x.mean)), 9) +
          pad(inC64 ? fmt(medC64(variant.key, (x) => x.callsPerSecond)) : '-', 13) +
          pad(inC64 ? `${fmt(medC64(variant.key, (x) => x.cpuMicrosPerCall), 1)} + ${fmt(medC64(variant.key, (x) => x.serverCpuMicrosPerCall), 1)} µs` : '-', 28) +
          (inC64 ? String(errorsC64(variant.key)) : '-'),
      );
    }
    lines.push('(latencies in µs)');
    lines.push('');
    const verdict = (ok: boolean | null): string => (ok === null ? 'skipped' : ok ? 'met' : 'MISSED');
    const row = (name: string, value: string, target = '', ok = ''): string => `${pad(name, 58)}${pad(value, 14)}${pad(target, 9)}${ok}`;
    lines.push(row('figure', 'value', 'target', 'verdict'));
    lines.push(row('throughput ratio at c64 (sidecar / raw)', fmt(throughputRatioC64, 3), '≥ 0.90', verdict(met['throughputRatioC64'])));
    lines.push(row('p50 added at c1 (sidecar − raw), µs', fmt(p50AddedMicrosC1, 1), '≤ 50', verdict(met['p50AddedMicrosC1'])));
    lines.push(row('p99 added at c1 (sidecar − raw), µs', fmt(p99AddedMicrosC1, 1)));
    lines.push(row('policy stack alone, µs per call (no network)', fmt(policyStackMicrosPerCall, 2), '≤ 5', verdict(met['policyStackMicrosPerCall'])));
    if (otel !== undefined) {
      lines.push(row(`OpenTelemetry SDK at ${otel.sampling * 100} % vs none: throughput ratio c64`, fmt(otel.throughputRatio, 3), '≥ 0.95', verdict(otel.throughputRatio >= 0.95)));
      lines.push(row('  calls/s c64, no SDK / SDK; spans exported', `${otel.noSdkCallsPerSecond} / ${otel.sdkCallsPerSecond}; ${otel.spansExported}`));
      lines.push(row('  client CPU per call c64, no SDK / SDK, µs; CPU-bound ratio', `${otel.clientCpuMicrosPerCall.noSdk} / ${otel.clientCpuMicrosPerCall.sdk}; ${fmt(otel.cpuBoundRatio, 3)}`));
    }
    lines.push(row('client path added, no network (sidecar − raw), µs/call', fmt(clientPath?.addedMicrosPerCall ?? NaN, 2)));
    lines.push(row('client CPU per call at c64, raw / sidecar, µs', `${fmt(rawCpu, 1)} / ${fmt(sidecarCpu, 1)}`));
    lines.push(row('ratio if CPU-bound: (client+server) raw / sidecar', fmt(figures['cpuBoundThroughputRatioC64'] as number, 3)));
    lines.push(row('(optional) SidecarServer p50 added at c1, µs', fmt(figures['sidecarServerP50AddedMicrosC1'] as number, 1)));
    lines.push(row('(optional) SidecarServer throughput ratio at c64', fmt(figures['sidecarServerThroughputRatioC64'] as number, 3)));
    lines.push(row('(optional) sidecar client → SidecarServer p50 added, µs', fmt(figures['endToEndP50AddedMicrosC1'] as number, 1)));
    if (DIAG) {
      lines.push(row('(diag) traceparent header alone: p50 added at c1, µs', fmt(figures['traceparentHeaderP50AddedMicrosC1'] as number, 1)));
      lines.push(row('(diag) traceparent header alone: throughput ratio c64', fmt(figures['traceparentHeaderThroughputRatioC64'] as number, 3)));
      lines.push(row('(diag) minimal sidecar client: p50 added at c1, µs', fmt(figures['minimalSidecarP50AddedMicrosC1'] as number, 1)));
      lines.push(row('(diag) minimal sidecar client: throughput ratio c64', fmt(figures['minimalSidecarThroughputRatioC64'] as number, 3)));
      lines.push(row('(diag) sidecar w/o grpc caller stack: p50 added c1, µs', fmt(figures['noCallerStackSidecarP50AddedMicrosC1'] as number, 1)));
      lines.push(row('(diag) sidecar w/o grpc caller stack: ratio c64', fmt(figures['noCallerStackSidecarThroughputRatioC64'] as number, 3)));
    }
    for (const variant of c64Variants) {
      const failed = c64Of(variant.key).find((x) => x.firstError !== undefined);
      if (failed) lines.push(`note: ${variant.label} had ${errorsC64(variant.key)} failed calls at c64, first: ${failed.firstError}`);
    }
    if (loadavg()[0] > cpus().length) lines.push(`note: load average ${loadavg()[0].toFixed(2)} > ${cpus().length} CPUs: other processes competed for the CPU; figures are noisy`);
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
