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
 * - the anchor (haproxy-hops.ts): raw grpc-js through one HAProxy HTTP/2 hop (server-side proxy) and
 *   through two (client-side → server-side proxy, the Istio/Linkerd shape) to the same plain server,
 *   measured in the same rounds as raw and sidecar (their "server" CPU includes the proxies'). When
 *   `haproxy` is not on the PATH these variants are skipped with a note on stderr; their figures are null.
 *
 * Phases: policy stack alone (measurePolicyStack, no network) and client path without network
 * (client-path.ts); warm-up (discarded); concurrency 1: rounds of 2000 sequential calls per
 * variant, interleaved call by call in a shuffled order (so every variant sees the same machine at the same moment),
 * each timed with hrtime → p50 per round, added = sidecar − raw per round, median over rounds; p99
 * over every call of the rounds pooled (one round's p99 is its ~10th slowest call: too few to say);
 * concurrency 64: alternating fixed-duration rounds → calls/s, ratio = sidecar / raw per round
 * (adjacent in time), median over rounds.
 *
 * Progress goes to stderr; the table and, LAST, one line of JSON go to stdout. Exit 0 whether or
 * not targets are met (it reports, it does not judge); exit 1 with a message on a real failure.
 *
 * Also reported: the client path's in-process cost with the network removed (client-path.ts), the
 * client and server processes' CPU per call at c64, and (optional) the SidecarServer's own cost.
 *
 * Knobs (env): BENCH_C1_BLOCK (calls per variant per round, default 2000), BENCH_C1_ROUNDS (default 10),
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
import { runInCallScope } from '../src/lib/core/call-scope';
import { measureClientPath, type ClientPathResult } from './client-path';
import { measurePolicyStack, type PolicyStackBenchResult } from './policy-stack';
import { measureOtelOverhead } from './otel-overhead';
import { c1Round, c64Round, type C1Block, type C64Round, type Caller, type Variant, type VariantKey } from './bench-rounds';
import { buildReport } from './bench-report';
import { startHaproxyHops, type HaproxyHops } from './haproxy-hops';

const SERVER_SCRIPT = 'libs/sidecar/bench/bench-server.process.ts';
const PLAIN_SERVICE = 'bench-echo';
const SIDECAR_SERVICE = 'bench-echo-sidecar';
const TOKEN = 'bench-shared-token-0123456789abcdef';
const CALLER = 'bench-client';
const CALLER_INSTANCE = `bench-client-${process.pid}`;
const TIMEOUT_MS = 2000;
const CONCURRENCY = 64;
const REQUEST: EchoRequest = { message: 'ping' };
/** Sampling rate of the OpenTelemetry phase (parent-based trace-id ratio, and the served calls' upstream decision). */
const OTEL_SAMPLING = 0.1;


function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer; got ${JSON.stringify(raw)}`);
  return value;
}

const C1_BLOCK = envInt('BENCH_C1_BLOCK', 2000);
const C1_ROUNDS = envInt('BENCH_C1_ROUNDS', 10);
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
// setup and teardown

interface Rig {
  redisServer?: RedisServerHandle;
  server?: ChildProcess;
  redis?: Redis;
  sidecar?: Sidecar;
  rawClients: grpc.Client[];
  /** Diagnostic clients built without the facade, with their resolvers. */
  extra: { client: ServiceClient; resolver: Resolver }[];
  /** The HAProxy hops in front of the plain server (absent when haproxy is not installed). */
  haproxy?: HaproxyHops;
  /** Why the proxy-hop variants were skipped, when they were. */
  haproxySkipped?: string;
}

async function setUp(rig: Rig): Promise<{ variants: Variant[]; sidecarClient: ServiceClient }> {
  progress('starting redis-server (discovery registry)');
  rig.redisServer = await startRedisServer();
  progress(`redis on 127.0.0.1:${rig.redisServer.port}; starting the server process`);
  rig.server = spawnTsNode(SERVER_SCRIPT, [], { TOKEN, REDIS_PORT: String(rig.redisServer.port) });
  const ready = await waitForOutput(rig.server, /READY (\d+) (\d+)/, 30_000);
  const serverPids = rig.server.pid === undefined ? [] : [rig.server.pid];
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
    { key: 'raw', label: 'raw grpc-js → plain server', call: rawCaller(rawPlain, metadata), c64: true, serverPids },
    { key: 'sidecar', label: 'sidecar client → plain server', call: sidecarCaller(sidecarClient), c64: true, serverPids },
  ];
  // The anchor: raw grpc-js through one and two HAProxy HTTP/2 hops to the same plain server.
  const hops = await startHaproxyHops(plainPort);
  if ('skipped' in hops) {
    rig.haproxySkipped = hops.skipped;
    process.stderr.write(`bench:sidecar note: ${hops.skipped}\n`);
  } else {
    rig.haproxy = hops;
    progress(`${hops.version}: one hop on :${hops.oneHopPort}, two hops on :${hops.twoHopsPort} (pids ${hops.pids.join(', ')})`);
    const viaOne = new grpc.Client(`127.0.0.1:${hops.oneHopPort}`, grpc.credentials.createInsecure(), { ...DEFAULT_CHANNEL_OPTIONS });
    const viaTwo = new grpc.Client(`127.0.0.1:${hops.twoHopsPort}`, grpc.credentials.createInsecure(), { ...DEFAULT_CHANNEL_OPTIONS });
    rig.rawClients.push(viaOne, viaTwo);
    const proxied = [...serverPids, ...hops.pids];
    variants.push(
      { key: 'rawOneHop', label: 'raw grpc-js → HAProxy → plain', call: rawCaller(viaOne, metadata), c64: true, serverPids: proxied },
      { key: 'rawTwoHops', label: 'raw grpc-js → 2× HAProxy → plain', call: rawCaller(viaTwo, metadata), c64: true, serverPids: proxied },
    );
  }
  variants.push(
    { key: 'rawToSidecarServer', label: 'raw grpc-js → SidecarServer', call: rawCaller(rawSidecarServer, metadata), c64: true, serverPids },
    { key: 'sidecarToSidecarServer', label: 'sidecar client → SidecarServer', call: sidecarCaller(sidecarToSidecarServer), c64: false, serverPids },
  );
  if (DIAG) {
    // Raw plus the traceparent header the sidecar adds to every call (what the header alone costs).
    const rawTrace = new grpc.Client(`127.0.0.1:${plainPort}`, grpc.credentials.createInsecure(), { ...DEFAULT_CHANNEL_OPTIONS });
    rig.rawClients.push(rawTrace);
    variants.push({ key: 'rawTraceparent', label: 'raw + traceparent → plain server', call: rawCaller(rawTrace, metadata, true), c64: true, serverPids });
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
    variants.push({ key: 'sidecarMinimal', label: 'sidecar minimal → plain server', call: sidecarCaller(minimal), c64: true, serverPids });
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
    variants.push({ key: 'sidecarNoCallerStack', label: 'sidecar, no grpc caller stack', call: sidecarCaller(noStack), c64: true, serverPids });
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
  await rig.haproxy?.stop().catch(() => undefined);
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
      await c64Round(variant.call, 1000, CONCURRENCY, variant.serverPids);
      progress(`profiling mode: ${variant.label} at c${CONCURRENCY} for ${C64_MS} ms`);
      const result = await c64Round(variant.call, C64_MS, CONCURRENCY, variant.serverPids);
      progress(
        `${variant.key} c${CONCURRENCY}: ${Math.round(result.callsPerSecond)} calls/s (${Math.round((result.callsPerSecond * C64_MS) / 1000)} calls), ` +
          `client CPU ${result.cpuMicrosPerCall.toFixed(1)} µs/call, server CPU ${result.serverCpuMicrosPerCall.toFixed(1)} µs/call`,
      );
      await tearDown(rig);
      return;
    }

    progress('warm-up (discarded): 1000 sequential calls and 0.3 s at c64 per variant');
    await c1Round(variants, 1000, 2000, C1_CHUNK);
    for (const variant of variants) await c64Round(variant.call, 300, CONCURRENCY, variant.serverPids);

    // ---- concurrency 1: rounds of C1_BLOCK calls per variant, interleaved call by call.
    const c1 = new Map<VariantKey, C1Block[]>(variants.map((v) => [v.key, []]));
    const c1Of = (key: VariantKey): C1Block[] => c1.get(key) ?? [];
    for (let r = 0; r < C1_ROUNDS; r++) {
      const blocks = await c1Round(variants, C1_BLOCK, C1_MAX_MS, C1_CHUNK);
      for (const [key, block] of blocks) c1Of(key).push(block);
      progress(`c1 round ${r + 1}/${C1_ROUNDS} (${blocks.get('raw')?.calls} calls per variant), p50/p99: ` + variants.map((v) => `${v.key} ${c1Of(v.key)[r].p50.toFixed(0)}/${c1Of(v.key)[r].p99.toFixed(0)} µs`).join(', '));
    }

    // ---- concurrency 64: alternating fixed-duration rounds.
    const c64Variants = variants.filter((v) => v.c64);
    const c64 = new Map<VariantKey, C64Round[]>(c64Variants.map((v) => [v.key, []]));
    const c64Of = (key: VariantKey): C64Round[] => c64.get(key) ?? [];
    for (let r = 0; r < C64_ROUNDS; r++) {
      const order = r % 2 === 0 ? c64Variants : [...c64Variants].reverse();
      for (const variant of order) c64Of(variant.key).push(await c64Round(variant.call, C64_MS, CONCURRENCY, variant.serverPids));
      progress(`c64 round ${r + 1}/${C64_ROUNDS} (${C64_MS} ms per variant): ` + c64Variants.map((v) => `${v.key} ${Math.round(c64Of(v.key)[r].callsPerSecond)}/s (${Math.round(c64Of(v.key)[r].cpuMicrosPerCall)}+${Math.round(c64Of(v.key)[r].serverCpuMicrosPerCall)} µs CPU)`).join(', '));
    }

    // ---- the same sidecar client with the OpenTelemetry SDK registered (10 % sampling) vs none: otel-overhead.ts
    const sidecarVariant = byKey['sidecar'];
    // inside a served call: the scope a SidecarServer handler runs in, its trace sampled upstream at the SDK's rate
    const served: Caller = () => runInCallScope({ deadline: Infinity, trace: newTrace(Math.random() < OTEL_SAMPLING) }, sidecarVariant.call);
    const otel =
      process.env['BENCH_SKIP_OTEL'] === '1'
        ? undefined
        : await measureOtelOverhead(
            { outside: () => c64Round(sidecarVariant.call, C64_MS, CONCURRENCY, sidecarVariant.serverPids), inServedCall: () => c64Round(served, C64_MS, CONCURRENCY, sidecarVariant.serverPids) },
            { rounds: C64_ROUNDS, sampling: OTEL_SAMPLING, progress },
          );

    const report = buildReport({ variants, c1, c64, policy, clientPath, otel, diag: DIAG, c1Rounds: C1_ROUNDS, c64Rounds: C64_ROUNDS, c64Ms: C64_MS, haproxyVersion: rig.haproxy?.version, haproxySkipped: rig.haproxySkipped });
    process.stdout.write(`${report.table}\n`);

    progress('done; stopping the server process and redis');
    await tearDown(rig);
    process.stdout.write(`${JSON.stringify(report.figures)}\n`);
  } catch (error) {
    const output = rig.server === undefined ? '' : outputOf(rig.server).trim();
    await tearDown(rig);
    if (output !== '') process.stderr.write(`server process output:\n${output.split('\n').slice(-20).join('\n')}\n`);
    throw error;
  }
}
