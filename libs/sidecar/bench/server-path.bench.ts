/**
 * The SidecarServer's own cost per unary call with the NETWORK REMOVED, for older checkouts and
 * this one in ONE process, alternating (so machine noise hits all alike):
 *
 *   git archive <old-commit> libs tsconfig.base.json | tar -x -C /tmp/old && ln -s "$PWD/node_modules" /tmp/old/node_modules
 *   ROUNDS=9 CALLS=200000 SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register libs/sidecar/bench/server-path.bench.ts /tmp/old [/tmp/other ...]
 *
 * Each tree's SidecarServer (started, so it is serving; same options as bench-server.process.ts)
 * gets the Echo service; the bench then calls the unary entry the server registered with grpc-js
 * (read from grpc-js' handler table: a bench-only peek) with a fresh fake call per call (auth
 * metadata, no deadline) and a callback: admission (draining, auth, deadline, shedding), in-flight
 * count, call context, call scope, the handler, the answer, metrics. grpc-js's own server work is
 * the same for every tree and is left out. Prints ns per call per round, the medians, and the
 * median of the per-round ratios to the first tree. Exit 0 whatever the figures; 1 on a failure.
 */
import { EventEmitter } from 'node:events';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { authMetadata } from '../src/lib/auth/index';
import { loadEcho } from '../test/fixtures/load-echo';

const TOKEN = 'bench-shared-token-0123456789abcdef';
const here = resolve(__dirname, '..', '..', '..');

type Entry = (call: unknown, callback: (error: unknown, value?: unknown) => void) => void;

interface ServerModule {
  SidecarServer: new (options: Record<string, unknown>) => {
    addService(definition: unknown, handlers: Record<string, (request: { message?: string }) => unknown>): void;
    start(): Promise<{ port: number }>;
    shutdown(): Promise<void>;
  };
}

/** A started SidecarServer of the tree at `root` and its Echo entry. */
async function entryOf(root: string): Promise<{ entry: Entry; stop: () => Promise<void> }> {
  const lib = join(root, 'libs', 'sidecar', 'src', 'lib');
  const { SidecarServer } = (await import(join(lib, 'server/sidecar.server'))) as ServerModule;
  const { createLogger } = (await import(join(lib, 'telemetry/logger'))) as { createLogger: (o: Record<string, unknown>) => unknown };
  const id = 'bench-echo-sidecar-1';
  const logger = createLogger({ service: 'bench-echo-sidecar', instance: id, level: 'warn', sink: process.stderr });
  const server = new SidecarServer({ service: 'bench-echo-sidecar', instanceId: id, host: '127.0.0.1', port: 0, auth: { token: TOKEN }, logger, maxConcurrent: 1024 });
  const { definition } = loadEcho();
  server.addService(definition, {
    Echo: (request) => ({ message: request.message ?? '', instanceId: id, deadlineMs: 0, caller: '', traceparent: '', attempt: 0, idempotencyKey: '', incomingTraceparent: '' }),
  });
  await server.start();
  const grpcServer = Object.values(server).find((v) => v instanceof grpc.Server) as unknown as { handlers: Map<string, { func: Entry }> };
  const handler = grpcServer.handlers.get(definition['Echo'].path);
  if (handler === undefined) throw new Error(`no Echo handler registered by the server of ${root}`);
  return { entry: handler.func, stop: () => server.shutdown() };
}

/** A fresh fake grpc-js unary call: what the server path reads of one. */
function fakeCall(metadata: grpc.Metadata): unknown {
  const call = new EventEmitter() as EventEmitter & Record<string, unknown>;
  call['metadata'] = metadata;
  call['request'] = { message: 'ping' };
  call['cancelled'] = false;
  call['getDeadline'] = () => Infinity;
  call['getPeer'] = () => '127.0.0.1:1';
  call['getPath'] = () => '/failsoft.test.v1.Echo/Echo';
  return call;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function measure(entry: Entry, metadata: grpc.Metadata, calls: number): number {
  let answered = 0;
  const callback = (error: unknown): void => {
    if (error) throw new Error(`the server refused a bench call: ${JSON.stringify(error)}`);
    answered++;
  };
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) entry(fakeCall(metadata), callback);
  const ns = Number(process.hrtime.bigint() - started) / calls;
  if (answered !== calls) throw new Error(`only ${answered} of ${calls} calls were answered synchronously`);
  return ns;
}

async function main(): Promise<void> {
  const roots = process.argv.slice(2).map((root) => resolve(root));
  if (roots.length === 0) throw new Error('usage: server-path.bench.ts <baseline checkout root> [more roots]; ROUNDS (9) and CALLS (200000) in the environment');
  roots.push(here);
  const rounds = Number(process.env['ROUNDS'] ?? 9);
  const calls = Number(process.env['CALLS'] ?? 200_000);
  const metadata = authMetadata({ token: TOKEN }, 'bench-client', 'bench-client-1');
  const servers = [];
  for (const root of roots) servers.push(await entryOf(root));
  const names = roots.map((root, i) => (i === roots.length - 1 ? 'this checkout' : root));
  try {
    process.stderr.write(`warming up (${calls} calls each)\n`);
    for (const { entry } of servers) measure(entry, metadata, calls);
    const rows = servers.map(() => [] as number[]);
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < servers.length; k++) {
        const i = (k + round) % servers.length;
        rows[i].push(measure(servers[i].entry, metadata, calls));
      }
      process.stdout.write(`round ${round + 1}/${rounds}: ${names.map((n, i) => `${n} ${rows[i][round].toFixed(0)} ns`).join(' | ')}\n`);
    }
    process.stdout.write(`medians of ${rounds} rounds × ${calls} calls, server path without network (ratio: median of per-round ratios to ${names[0]}):\n`);
    for (let i = 0; i < servers.length; i++) {
      const ratio = median(rows[i].map((ns, r) => ns / rows[0][r]));
      process.stdout.write(`  ${names[i]}: ${(median(rows[i]) / 1000).toFixed(3)} µs/call (×${ratio.toFixed(3)})\n`);
    }
  } finally {
    for (const { stop } of servers) await stop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`server-path failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
