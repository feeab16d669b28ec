import { status } from '@grpc/grpc-js';
import { loadEcho, type EchoReply, type EchoStreamRequest } from '../../../test/fixtures';
import { StaticResolver } from '../discovery/static.resolver';
import { GrpcError } from '../server/grpc-error';
import type { HandlerContext, ResponseStream } from '../server/index';
import { SidecarServer } from '../server/sidecar.server';
import { createLogger } from '../telemetry/logger';
import { ServiceClient, type ServiceClientOptions } from './service-client';

jest.setTimeout(30_000);

const auth = { token: 'stream-spec-token-0123456789' };
const quiet = createLogger({ service: 'spec', instance: 'spec', level: 'error' });
/** Payload of one streamed reply: large enough that a few MiB fill the HTTP/2 windows. */
const PAYLOAD = 'x'.repeat(64 * 1024);

interface StreamInstance {
  server: SidecarServer;
  address: string;
  /** Calls of EchoStream served. */
  calls: number;
  /** Replies written (the write promise resolved). */
  written: number;
  /** True while the handler waits for a write to be taken (backpressure). */
  blocked: boolean;
  /** True once a handler saw its call cancelled. */
  sawCancel: boolean;
}

const servers: StreamInstance[] = [];
const clients: ServiceClient[] = [];

/**
 * An Echo server whose EchoStream behaves by `message`: `ok` writes `count` replies; `fail-first`
 * fails before any reply; `fail-mid` writes 2 replies and fails; `hang` writes nothing until cancelled.
 */
async function startServer(): Promise<StreamInstance> {
  const server = new SidecarServer({ service: 'echo', instanceId: `s${servers.length}`, auth, logger: quiet });
  const instance: StreamInstance = { server, address: '', calls: 0, written: 0, blocked: false, sawCancel: false };
  server.addService(loadEcho().definition, {
    Echo: async () => ({}),
    Relay: async () => ({ hops: [] }),
    EchoStream: async (request: EchoStreamRequest, ctx: HandlerContext, stream: ResponseStream<Partial<EchoReply>>) => {
      instance.calls++;
      ctx.signal.addEventListener('abort', () => (instance.sawCancel = true));
      if (request.message === 'fail-first') throw new GrpcError(status.UNAVAILABLE, 'not now');
      if (request.message === 'hang') return new Promise<void>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
      for (let i = 0; i < (request.count ?? 0); i++) {
        if (request.message === 'fail-mid' && i === 2) throw new GrpcError(status.INTERNAL, 'broke mid-stream');
        instance.blocked = true;
        await stream.write({ message: `${i}:${PAYLOAD}` });
        instance.blocked = false;
        instance.written++;
      }
    },
  });
  const { port } = await server.start();
  instance.address = `127.0.0.1:${port}`;
  servers.push(instance);
  return instance;
}

function client(instances: StreamInstance[], options: Partial<ServiceClientOptions> = {}): ServiceClient {
  const c = new ServiceClient({
    service: 'echo',
    definition: loadEcho().definition,
    resolver: new StaticResolver({ service: 'echo', addresses: instances.map((i) => i.address) }),
    caller: { service: 'spec', instance: 'spec-1' },
    auth,
    idempotentMethods: ['EchoStream'],
    ...options,
  });
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.shutdown();
  await Promise.all(servers.splice(0).map((s) => s.server.shutdown()));
});

/** Polls `predicate` every 10 ms until it holds; rejects naming `what` after `timeoutMs` (a bound, never a speed check). */
async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !predicate(); ) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function drain(stream: AsyncIterable<EchoReply>): Promise<string[]> {
  const out: string[] = [];
  for await (const reply of stream) out.push(reply.message.split(':')[0]);
  return out;
}

describe('ServiceClient.stream (real grpc-js servers on loopback)', () => {
  it('delivers every message in order: the first one on open, the rest by pulling', async () => {
    const s = await startServer();
    const opened = await client([s]).stream<EchoStreamRequest, EchoReply>('EchoStream', { message: 'ok', count: 5 });
    expect(opened.first?.message.startsWith('0:')).toBe(true);
    expect(await drain(opened.rest)).toEqual(['1', '2', '3', '4']);
    expect(opened.rest.ended).toBe(true);
  });

  it('a consumer that stops reading stalls the server (backpressure) instead of buffering; reading on completes it', async () => {
    const s = await startServer();
    const count = 200; // 200 × 64 KiB = 12.5 MiB, far beyond the HTTP/2 windows
    const opened = await client([s]).stream<EchoStreamRequest, EchoReply>('EchoStream', { message: 'ok', count });
    await until(() => s.blocked, 'the server blocks in write while nobody reads');
    const stalledAt = s.written;
    expect(stalledAt).toBeLessThan(count / 2);
    // negative control: the same stream read to the end delivers everything
    expect((await drain(opened.rest)).length).toBe(count - 1);
    expect(s.written).toBe(count);
  });

  it('fails before the first message are retried on another instance; after it, nothing is retried', async () => {
    const [a, b] = [await startServer(), await startServer()];
    const c = client([a, b]);
    await expect(c.stream('EchoStream', { message: 'fail-first', count: 1 })).rejects.toMatchObject({ code: status.UNAVAILABLE });
    expect(a.calls + b.calls).toBeGreaterThanOrEqual(2); // retried

    const before = a.calls + b.calls;
    const opened = await c.stream<EchoStreamRequest, EchoReply>('EchoStream', { message: 'fail-mid', count: 5 });
    await expect(drain(opened.rest)).rejects.toMatchObject({ code: status.INTERNAL, details: 'broke mid-stream' });
    expect(a.calls + b.calls).toBe(before + 1);
  });

  it('an AbortSignal cancels an open stream: the server sees it and the reader rejects with CANCELLED', async () => {
    const s = await startServer();
    const abort = new AbortController();
    const opened = await client([s]).stream<EchoStreamRequest, EchoReply>('EchoStream', { message: 'ok', count: 200 }, { signal: abort.signal });
    await until(() => s.blocked, 'the server is blocked in write');
    abort.abort();
    await until(() => s.sawCancel, 'the server sees the cancellation');
    await expect(drain(opened.rest)).rejects.toMatchObject({ code: status.CANCELLED });
  });

  it('leaving a for-await early cancels the call', async () => {
    const s = await startServer();
    const opened = await client([s]).stream<EchoStreamRequest, EchoReply>('EchoStream', { message: 'ok', count: 200 });
    for await (const reply of opened.rest) {
      expect(reply.message.startsWith('1:')).toBe(true);
      break;
    }
    await until(() => s.sawCancel, 'the server sees the cancellation');
    expect(s.written).toBeLessThan(200);
  });

  it('no first message within the attempt timeout fails with DEADLINE_EXCEEDED; the stream deadline bounds a hung stream', async () => {
    const s = await startServer();
    const c = client([s], { attemptTimeoutMs: 100, timeoutMs: 5000, retry: false });
    await expect(c.stream('EchoStream', { message: 'hang' })).rejects.toMatchObject({ code: status.DEADLINE_EXCEEDED, attemptTimedOut: true });
    await until(() => s.sawCancel, 'the server sees the hung call cancelled');
  });

  it('refuses unary methods and unknown ones with a clear message', async () => {
    const c = client([await startServer()]);
    await expect(c.stream('Echo', {})).rejects.toThrow('echo.Echo is not a server-streaming method; use call()');
    await expect(c.stream('Nope', {})).rejects.toThrow(/echo has no method "Nope"/);
  });
});
