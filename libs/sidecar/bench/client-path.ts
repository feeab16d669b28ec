/**
 * Diagnostic for `npm run bench:sidecar`: the in-process CPU cost of one unary call through the
 * sidecar client versus raw grpc-js, with the NETWORK REMOVED. Both go through a real grpc.Client
 * (`makeUnaryRequest`, interceptors, serialisation, deserialisation) whose channel is replaced by
 * a loopback fake (`channelOverride`) that answers every call on the next event-loop turn
 * (setImmediate, like an I/O callback) with a pre-serialised reply. What remains is JavaScript:
 * grpc-js's client-side work plus, for the sidecar, its whole client path (policies, discovery
 * view, balancer, breakers, metadata, trace context, metrics).
 *
 * Ablations use the client's public options (`serviceBreaker: false`, `retry: false`,
 * `bulkhead: false`, no metrics), to say which layer costs what.
 *
 * Run alone: `SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register libs/sidecar/bench/client-path.ts [iterations] [concurrency]`
 * (CLIENT_PATH_NO_CALLER_STACK=1: see disableGrpcCallerStacks; CLIENT_PATH_GAP_MS=n: each call timed alone
 * after n ms idle, interleaved — the cost with cold caches, as between a real service's calls).
 */
import * as grpc from '@grpc/grpc-js';
import { authMetadata } from '../src/lib/auth/index';
import { DEFAULT_CHANNEL_OPTIONS } from '../src/lib/client/channel-pool';
import { ServiceClient, type ServiceClientOptions } from '../src/lib/client/service-client';
import type { ServiceInstance } from '../src/lib/core/instance';
import type { Resolver } from '../src/lib/discovery/resolver';
import { SidecarMetrics } from '../src/lib/telemetry/metrics';
import { loadEcho, type EchoReply, type EchoRequest } from '../test/fixtures/load-echo';

const TOKEN = 'bench-shared-token-0123456789abcdef';
const REQUEST: EchoRequest = { message: 'ping' };
const INSTANCE: ServiceInstance = { id: 'fake-1', service: 'bench-echo', address: '127.0.0.1:1', zone: '', weight: 1, metadata: {} };

/** A grpc-js Channel that never touches the network: every call gets `reply` on the next turn. */
class LoopbackChannel {
  private calls = 0;
  constructor(private readonly reply: Buffer) {}
  close(): void {
    // nothing to close
  }
  getTarget(): string {
    return 'loopback-fake';
  }
  getConnectivityState(): grpc.connectivityState {
    return grpc.connectivityState.READY;
  }
  watchConnectivityState(_state: grpc.connectivityState, _deadline: Date | number, callback: (error?: Error) => void): void {
    setImmediate(callback);
  }
  getChannelzRef(): unknown {
    return { kind: 'channel', id: 0, name: 'loopback-fake' };
  }
  createCall(): unknown {
    const reply = this.reply;
    const number = ++this.calls;
    let listener: { onReceiveMetadata(m: grpc.Metadata): void; onReceiveMessage(m: Buffer): void; onReceiveStatus(s: grpc.StatusObject): void } | undefined;
    let done = false;
    return {
      cancelWithStatus(code: grpc.status, details: string) {
        if (done) return;
        done = true;
        listener?.onReceiveStatus({ code, details, metadata: new grpc.Metadata() });
      },
      getPeer: () => 'loopback-fake',
      start(_metadata: grpc.Metadata, l: typeof listener) {
        listener = l;
      },
      sendMessageWithContext(context: { callback?: () => void }) {
        context.callback?.();
      },
      startRead() {
        // the reply is pushed on halfClose
      },
      halfClose() {
        setImmediate(() => {
          if (done || listener === undefined) return;
          done = true;
          listener.onReceiveMetadata(new grpc.Metadata());
          listener.onReceiveMessage(reply);
          listener.onReceiveStatus({ code: grpc.status.OK, details: 'OK', metadata: new grpc.Metadata() });
        });
      },
      getCallNumber: () => number,
      setCredentials() {
        // no per-call credentials on the fake
      },
      getAuthContext: () => null,
    };
  }
}

/** A static one-instance resolver (no Redis: the discovery view is a plain array either way). */
function staticResolver(): Resolver {
  const view = [INSTANCE];
  return {
    instances: () => view,
    stale: false,
    onChange: () => ({ dispose: () => undefined }),
    start: async () => undefined,
    shutdown: async () => undefined,
  } as unknown as Resolver;
}

type Caller = () => Promise<unknown>;

/** Mean wall µs per call of `iterations` calls made by `concurrency` loops (all CPU: no network). */
async function meanMicros(call: Caller, iterations: number, concurrency = 1): Promise<number> {
  const perLoop = Math.ceil(iterations / concurrency);
  const loop = async (): Promise<void> => {
    for (let i = 0; i < perLoop; i++) await call();
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, loop));
  return Number(process.hrtime.bigint() - started) / 1000 / (perLoop * concurrency);
}

/** One row of the result. */
export interface ClientPathRow {
  readonly name: string;
  /** Mean µs per sequential call (includes one setImmediate turn, as the raw row does). */
  readonly micros: number;
  /** `micros − raw`: what the sidecar path adds in-process. */
  readonly addedMicros: number;
}

/** Result of {@link measureClientPath}. */
export interface ClientPathResult {
  readonly iterations: number;
  /** Calls in flight at once. */
  readonly concurrency: number;
  readonly rows: readonly ClientPathRow[];
  /** Full sidecar client path minus raw grpc-js, µs per call, no network. */
  readonly addedMicrosPerCall: number;
}

/**
 * Measures raw grpc-js and the sidecar client (full, and with layers turned off) against the
 * loopback fake channel, interleaved, best of `runs` runs each.
 */
export async function measureClientPath(
  options: { iterations?: number; runs?: number; ablations?: boolean; concurrency?: number; gapMs?: number } = {},
): Promise<ClientPathResult> {
  const iterations = options.iterations ?? 50_000;
  const runs = options.runs ?? 3;
  const concurrency = options.concurrency ?? 1;
  const { definition } = loadEcho();
  const method = definition['Echo'] as grpc.MethodDefinition<EchoRequest, EchoReply>;
  const reply = method.responseSerialize({ message: 'ping', instanceId: 'fake-1', deadlineMs: 0, caller: '', traceparent: '', attempt: 0, idempotencyKey: '', incomingTraceparent: '' });
  const channelOverride = new LoopbackChannel(reply) as unknown as grpc.Channel;
  const channelOptions = { channelOverride } as unknown as grpc.ChannelOptions;

  const metadata = authMetadata({ token: TOKEN }, 'bench-client', 'bench-client-1');
  const rawClient = new grpc.Client('127.0.0.1:1', grpc.credentials.createInsecure(), { ...DEFAULT_CHANNEL_OPTIONS, channelOverride });
  const raw: Caller = () =>
    new Promise((resolve, reject) => {
      rawClient.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, REQUEST, metadata.clone(), { deadline: Date.now() + 2000 }, (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });

  const clients: ServiceClient[] = [];
  const metrics = new SidecarMetrics({ service: 'bench-client', instance: 'bench-client-1' });
  const sidecar = (overrides: Partial<ServiceClientOptions>): Caller => {
    const client = new ServiceClient({
      service: 'bench-echo',
      definition,
      resolver: staticResolver(),
      caller: { service: 'bench-client', instance: 'bench-client-1' },
      auth: { token: TOKEN },
      idempotentMethods: ['Echo'],
      channelOptions,
      metrics,
      ...overrides,
    });
    clients.push(client);
    return () => client.call('Echo', REQUEST);
  };

  const variants: { name: string; call: Caller }[] = [
    { name: 'raw grpc-js (same fake channel)', call: raw },
    { name: 'sidecar client, full', call: sidecar({}) },
  ];
  if (options.ablations ?? true) {
    variants.push(
      { name: 'sidecar, no metrics', call: sidecar({ metrics: undefined }) },
      { name: 'sidecar, no service breaker', call: sidecar({ serviceBreaker: false }) },
      { name: 'sidecar, no retry', call: sidecar({ retry: false }) },
      { name: 'sidecar, no bulkhead', call: sidecar({ bulkhead: false }) },
      { name: 'sidecar, only deadline + instance breaker', call: sidecar({ metrics: undefined, serviceBreaker: false, retry: false, bulkhead: false }) },
    );
  }
  try {
    if ((options.gapMs ?? 0) > 0) {
      // Cold mode: one call at a time, variants interleaved call by call, an idle gap before each
      // call (other processes run, caches cool down, as between a service's real calls); median.
      for (const variant of variants) await meanMicros(variant.call, 5000);
      const samples = variants.map(() => [] as number[]);
      for (let i = 0; i < iterations; i++) {
        for (let v = 0; v < variants.length; v++) {
          await new Promise((resolve) => setTimeout(resolve, options.gapMs));
          const started = process.hrtime.bigint();
          await variants[v].call();
          samples[v].push(Number(process.hrtime.bigint() - started) / 1000);
        }
      }
      const medians = samples.map((list) => list.sort((a, b) => a - b)[list.length >> 1]);
      const rows = variants.map((v, i) => ({ name: v.name, micros: medians[i], addedMicros: medians[i] - medians[0] }));
      return { iterations, concurrency: 1, rows, addedMicrosPerCall: rows[1].addedMicros };
    }
    for (const variant of variants) await meanMicros(variant.call, Math.max(5000, iterations / 5), concurrency);
    const best = variants.map(() => Infinity);
    for (let run = 0; run < runs; run++) {
      for (let i = 0; i < variants.length; i++) best[i] = Math.min(best[i], await meanMicros(variants[i].call, iterations, concurrency));
    }
    const rows = variants.map((v, i) => ({ name: v.name, micros: best[i], addedMicros: best[i] - best[0] }));
    return { iterations, concurrency, rows, addedMicrosPerCall: rows[1].addedMicros };
  } finally {
    for (const client of clients) client.shutdown();
    rawClient.close();
    metrics.shutdown();
  }
}

/**
 * Experiment (this process only): run grpc-js's `makeUnaryRequest` with `Error.stackTraceLimit = 0`,
 * so the `new Error()` it makes on EVERY call to remember the caller's stack (client.js:161 in
 * grpc-js 1.14) captures nothing. Shows what that capture costs at each stack depth.
 */
export function disableGrpcCallerStacks(): void {
  const proto = grpc.Client.prototype as unknown as { makeUnaryRequest: (...args: unknown[]) => unknown };
  const original = proto.makeUnaryRequest;
  proto.makeUnaryRequest = function (this: unknown, ...args: unknown[]) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return original.apply(this, args);
    } finally {
      Error.stackTraceLimit = limit;
    }
  };
}

if (require.main === module) {
  const iterations = Number(process.argv[2] ?? 50_000);
  const concurrency = Number(process.argv[3] ?? 1);
  const gapMs = Number(process.env['CLIENT_PATH_GAP_MS'] ?? 0);
  if (process.env['CLIENT_PATH_NO_CALLER_STACK'] === '1') {
    disableGrpcCallerStacks();
    console.log('(grpc-js caller stacks disabled: Error.stackTraceLimit = 0 around makeUnaryRequest)');
  }
  measureClientPath({ iterations, concurrency, gapMs, ablations: process.env['CLIENT_PATH_ABLATIONS'] !== '0' }).then(
    (result) => {
      console.log(
        gapMs > 0
          ? `client path without network (fake grpc-js channel), median of ${result.iterations} calls each after ${gapMs} ms idle (cold), interleaved:`
          : `client path without network (fake grpc-js channel, one setImmediate per call), best of 3 × ${result.iterations} calls, ${result.concurrency} at a time:`,
      );
      for (const row of result.rows) console.log(`  ${row.name.padEnd(44)} ${row.micros.toFixed(2).padStart(7)} µs/call   added ${row.addedMicros.toFixed(2).padStart(6)} µs`);
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
