/**
 * Diagnostic for `npm run bench:sidecar`: what ONE extra request header costs a raw grpc-js client
 * at concurrency 64 on loopback — the sidecar adds `traceparent` (a fresh random value per call)
 * to every call. Compares, against the bench's plain Echo server in its own process:
 *   raw; raw + random traceparent; raw + constant traceparent (HPACK can index it); raw + a random
 *   32-hex custom header. Reports the c1 p50 (calls interleaved one by one across variants) and, at
 *   c64, calls/s and client / server CPU per call (median of interleaved rounds).
 *
 * Run: `SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register libs/sidecar/bench/header-cost.ts [rounds] [ms]`.
 */
import * as grpc from '@grpc/grpc-js';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { killAndWait, spawnTsNode, startRedisServer, waitForOutput, type RedisServerHandle } from '@failsoft/testing';
import { authMetadata } from '../src/lib/auth/index';
import { DEFAULT_CHANNEL_OPTIONS } from '../src/lib/client/channel-pool';
import { formatTraceparent, newTrace } from '../src/lib/telemetry/trace-context';
import { loadEcho } from '../test/fixtures/load-echo';

const TOKEN = 'bench-shared-token-0123456789abcdef';

/** CPU time (user + system) of `pid` in µs, from /proc (USER_HZ = 100). */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1];

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 7);
  const ms = Number(process.argv[3] ?? 1000);
  let redis: RedisServerHandle | undefined;
  let server: ChildProcess | undefined;
  const clients: grpc.Client[] = [];
  try {
    redis = await startRedisServer();
    server = spawnTsNode('libs/sidecar/bench/bench-server.process.ts', [], { TOKEN, REDIS_PORT: String(redis.port) });
    const port = Number((await waitForOutput(server, /READY (\d+) (\d+)/, 30_000))[1]);
    const serverPid = server.pid as number;
    const base = authMetadata({ token: TOKEN }, 'bench-client', 'bench-client-1');
    const method = loadEcho().definition['Echo'];
    const caller = (extra: (metadata: grpc.Metadata) => void, tag: number): (() => Promise<unknown>) => {
      // A distinct (ignored) option per variant: its own channel and HTTP/2 connection, so HPACK tables are not shared.
      const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { ...DEFAULT_CHANNEL_OPTIONS, 'grpc.failsoft_bench_tag': tag });
      clients.push(client);
      return () =>
        new Promise((resolve, reject) => {
          const metadata = base.clone();
          extra(metadata);
          client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, { message: 'ping' }, metadata, { deadline: Date.now() + 2000 }, (error, reply) =>
            error ? reject(error) : resolve(reply),
          );
        });
    };
    const constant = formatTraceparent(newTrace());
    const variants: [string, () => Promise<unknown>][] = [
      ['raw', caller(() => undefined, 1)],
      ['raw + traceparent (random per call)', caller((m) => m.set('traceparent', formatTraceparent(newTrace())), 2)],
      ['raw + traceparent (constant)', caller((m) => m.set('traceparent', constant), 3)],
      ['raw + x-random (32 hex, random per call)', caller((m) => m.set('x-random', newTrace().traceId), 4)],
    ];
    const results = new Map<string, number[][]>(variants.map(([name]) => [name, []]));
    const round = async (name: string, call: () => Promise<unknown>, durationMs: number, record: boolean): Promise<void> => {
      let calls = 0;
      const end = performance.now() + durationMs;
      const cpuBefore = process.cpuUsage();
      const serverBefore = cpuMicros(serverPid);
      const started = performance.now();
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (performance.now() < end) {
            await call();
            calls++;
          }
        }),
      );
      const cpu = process.cpuUsage(cpuBefore);
      if (record) results.get(name)?.push([calls / ((performance.now() - started) / 1000), (cpu.user + cpu.system) / calls, (cpuMicros(serverPid) - serverBefore) / calls]);
    };
    // c1: calls interleaved one by one across variants; p50 per block of 1000, median of blocks.
    const c1 = new Map<string, number[]>(variants.map(([name]) => [name, []]));
    for (let block = 0; block < 6; block++) {
      const samples = variants.map(() => [] as number[]);
      for (let i = 0; i < 1000; i++) {
        for (let v = 0; v < variants.length; v++) {
          const index = i % 2 === 0 ? v : variants.length - 1 - v;
          const started = process.hrtime.bigint();
          await variants[index][1]();
          samples[index].push(Number(process.hrtime.bigint() - started) / 1000);
        }
      }
      if (block > 0) variants.forEach(([name], v) => c1.get(name)?.push(median(samples[v])));
    }
    for (const [name, call] of variants) await round(name, call, 400, false);
    for (let r = 0; r < rounds; r++) for (const [name, call] of r % 2 === 0 ? variants : [...variants].reverse()) await round(name, call, ms, true);
    console.log(`one extra request header: c1 p50 (median of 5 blocks of 1000 calls interleaved call by call); c64: median of ${rounds} interleaved rounds × ${ms} ms`);
    const rawP50 = median(c1.get('raw') ?? []);
    for (const [name, rows] of results) {
      const p50 = median(c1.get(name) ?? []);
      console.log(
        `  ${name.padEnd(42)} c1 p50 ${p50.toFixed(0).padStart(4)} µs (${(p50 - rawP50 >= 0 ? '+' : '') + (p50 - rawP50).toFixed(1)})   c64 ${median(rows.map((x) => x[0])).toFixed(0).padStart(6)} calls/s   client CPU ${median(rows.map((x) => x[1])).toFixed(1).padStart(6)} µs/call   server CPU ${median(rows.map((x) => x[2])).toFixed(1).padStart(6)} µs/call`,
      );
    }
  } finally {
    for (const client of clients) client.close();
    if (server !== undefined) await killAndWait(server, 'SIGTERM', 5000).catch(() => undefined);
    await redis?.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
