import { waitUntil } from '@failsoft/testing';
import * as grpc from '@grpc/grpc-js';
import { createServer } from 'node:net';
import { authMetadata, createChannelCredentials } from '../auth/credentials';
import { currentCallScope, type CallScope } from '../core/call-scope';
import { MetadataKeys } from '../core/metadata-keys';
import { isInvalidOptionsError, SidecarError } from '../core/sidecar.error';
import { FaultRules } from '../faults/fault-rules';
import { isInjectedFault } from '../faults/injected-fault';
import { loadHealthClient, type HealthCheckResponse } from '../health/health.service';
import { createLogger, type Logger } from '../telemetry/logger';
import { formatTraceparent, newTrace, parseTraceparent } from '../telemetry/trace-context';
import { callUnary, createEchoClient, EchoService, loadEcho, type EchoReply, type RelayReply } from '../../../test/fixtures/load-echo';
import { rawGrpcCall } from '../../../test/fixtures/raw-grpc';
import { GrpcError, isBindError, ValidationError } from './grpc-error';
import { SidecarServer } from './sidecar.server';
import type { SidecarServerOptions } from './server.types';

// generous per-test timeout: some specs make 1000 real calls, and CI machines can be slow (no speed is asserted)
jest.setTimeout(60_000);

const TOKEN = 'test-token-0123456789';
const AUTH = { token: TOKEN };
const ECHO_PATH = '/failsoft.test.v1.Echo/Echo';

function errorOf(error: unknown): grpc.ServiceError {
  return error as grpc.ServiceError;
}

async function failure(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    return errorOf(error);
  }
  throw new Error('expected the call to fail');
}

describe('SidecarServer (real gRPC on loopback)', () => {
  const servers: SidecarServer[] = [];
  const clients: grpc.Client[] = [];
  const services: EchoService[] = [];
  let logLines: Array<Record<string, unknown>>;
  let logger: Logger;
  const metadata = authMetadata(AUTH, 'gateway', 'gateway-1');

  beforeEach(() => {
    logLines = [];
    logger = createLogger({ service: 'echo', instance: 'echo-1', level: 'debug', sink: { write: (line: string) => logLines.push(JSON.parse(line)) } });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const echo of services.splice(0)) echo.close();
    await Promise.all(servers.splice(0).map((s) => s.shutdown()));
  });

  async function start(options: Partial<SidecarServerOptions> = {}, instanceId = 'echo-1') {
    const echo = new EchoService({ instanceId, relayAuth: AUTH, relayCaller: 'echo' });
    services.push(echo);
    const server = new SidecarServer({ service: 'echo', instanceId, auth: AUTH, logger, ...options });
    servers.push(server);
    server.addService(loadEcho().definition, echo.handlers);
    const { port } = await server.start();
    const client = createEchoClient(`127.0.0.1:${port}`, createChannelCredentials(AUTH));
    clients.push(client);
    return { server, echo, port, client };
  }

  async function startWith(handlers: Record<string, (request: never, ctx: never) => unknown>, options: Partial<SidecarServerOptions> = {}) {
    const server = new SidecarServer({ service: 'echo', instanceId: 'echo-1', auth: AUTH, logger, ...options });
    servers.push(server);
    server.addService(loadEcho().definition, handlers as never);
    const { port } = await server.start();
    const client = createEchoClient(`127.0.0.1:${port}`, createChannelCredentials(AUTH));
    clients.push(client);
    return { server, port, client };
  }

  describe('happy path and call scope', () => {
    it('serves a call with caller, remaining deadline, attempt and a child span of the incoming trace', async () => {
      const { client, echo } = await start();
      const incoming = newTrace();
      const md = metadata.clone();
      md.set(MetadataKeys.traceparent, formatTraceparent(incoming));
      md.set(MetadataKeys.attempt, '2');
      const reply = await callUnary<EchoReply>(client, 'Echo', { message: 'hi' }, { metadata: md, timeoutMs: 5000 });
      expect(reply).toMatchObject({ message: 'hi', instanceId: 'echo-1', caller: 'gateway', attempt: 2, incomingTraceparent: formatTraceparent(incoming) });
      expect(reply.deadlineMs).toBeGreaterThan(0);
      expect(reply.deadlineMs).toBeLessThanOrEqual(5000);
      const serverSpan = parseTraceparent(reply.traceparent);
      expect(serverSpan?.traceId).toBe(incoming.traceId);
      expect(serverSpan?.spanId).not.toBe(incoming.spanId);
      expect(echo.calls.Echo).toBe(1);
    });

    it('starts a new trace when the incoming traceparent is invalid, and reports no deadline as -1', async () => {
      const { client } = await start();
      const md = metadata.clone();
      md.set(MetadataKeys.traceparent, '00-XYZ-bad-01');
      const reply = await callUnary<EchoReply>(client, 'Echo', { message: 'x' }, { metadata: md });
      expect(parseTraceparent(reply.traceparent)).toBeDefined();
      expect(reply.deadlineMs).toBe(-1);
    });

    it('runs the handler inside a call scope that downstream calls inherit', async () => {
      let scope: CallScope | undefined;
      let sameAsContext = false;
      const { client } = await startWith({
        Echo: (_request: never, ctx: never) => {
          scope = currentCallScope();
          const c = ctx as { deadline: number; caller: string; trace: unknown };
          sameAsContext = scope?.deadline === c.deadline && scope?.caller === c.caller && scope?.trace === c.trace;
          return { message: 'ok' };
        },
      });
      await callUnary(client, 'Echo', {}, { metadata, timeoutMs: 3000 });
      expect(sameAsContext).toBe(true);
      expect(scope?.deadline).toBeGreaterThan(Date.now());
      expect(scope?.caller).toBe('gateway');
      expect(scope?.trace?.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(scope?.signal?.aborted).toBe(false);
    });

    it('aborts the handler signal when the client cancels', async () => {
      let signal: AbortSignal | undefined;
      const { client } = await startWith({
        Echo: (_request: never, ctx: never) => {
          const own = (ctx as { signal: AbortSignal }).signal;
          signal = own;
          return new Promise((_resolve, reject) => own.addEventListener('abort', () => reject(own.reason)));
        },
      });
      const call = (client as unknown as Record<string, (...args: unknown[]) => grpc.ClientUnaryCall>)['Echo'].call(client, {}, metadata.clone(), () => undefined);
      await waitUntil(() => signal !== undefined, { timeoutMs: 5000, message: 'handler never ran' });
      call.cancel();
      await waitUntil(() => signal?.aborted === true, { timeoutMs: 5000, message: 'signal never aborted on cancel' });
      expect((signal?.reason as SidecarError).code).toBe('ABORTED');
    });

    it('aborts the handler signal with DEADLINE_EXCEEDED when the deadline passes', async () => {
      let signal: AbortSignal | undefined;
      const { server } = await startWith({
        Echo: (_request: never, ctx: never) => {
          const own = (ctx as { signal: AbortSignal }).signal;
          signal = own;
          return new Promise((_resolve, reject) => own.addEventListener('abort', () => reject(own.reason)));
        },
      });
      // a raw request has no client-side timer, so only the server's deadline can end it
      const port = server.port as number;
      const call = rawGrpcCall(port, ECHO_PATH, loadEcho().definition['Echo'].requestSerialize({}), { authorization: `Bearer ${TOKEN}`, 'grpc-timeout': '500m' });
      await waitUntil(() => signal !== undefined, { timeoutMs: 5000, message: 'handler never ran' });
      expect(signal?.aborted).toBe(false);
      expect((await call).code).toBe(grpc.status.DEADLINE_EXCEEDED);
      await waitUntil(() => signal?.aborted === true, { timeoutMs: 5000, message: 'signal never aborted at the deadline' });
      expect((signal?.reason as SidecarError).code).toBe('DEADLINE_EXCEEDED');
      await waitUntil(() => server.inFlight === 0, { timeoutMs: 5000, message: 'handler never finished' });
      // recorded as the client saw it, not as the handler's own rejection
      expect(await server.metrics.metrics()).toContain('failsoft_server_calls_total{method="Echo",code="DEADLINE_EXCEEDED"} 1');
    });

    it('propagates the remaining deadline and the trace along a chain A → B → C', async () => {
      const a = await start({}, 'a');
      const b = await start({}, 'b');
      const c = await start({}, 'c');
      const incoming = newTrace();
      const md = metadata.clone();
      md.set(MetadataKeys.traceparent, formatTraceparent(incoming));
      const reply = await callUnary<RelayReply>(a.client, 'Relay', { hops: [`127.0.0.1:${b.port}`, `127.0.0.1:${c.port}`], message: 'chain', delayMs: 30 }, { metadata: md, timeoutMs: 3000 });
      expect(reply.hops.map((h) => h.instanceId)).toEqual(['a', 'b', 'c']);
      expect(reply.hops.map((h) => h.caller)).toEqual(['gateway', 'echo', 'echo']);
      const [da, db, dc] = reply.hops.map((h) => h.deadlineMs);
      expect(da).toBeLessThanOrEqual(3000);
      expect(db).toBeLessThan(da);
      expect(dc).toBeLessThan(db);
      expect(dc).toBeGreaterThan(0);
      const traces = reply.hops.map((h) => parseTraceparent(h.traceparent));
      expect(new Set(traces.map((t) => t?.traceId))).toEqual(new Set([incoming.traceId]));
      expect(new Set(traces.map((t) => t?.spanId)).size).toBe(3);
    });

    it('serves server-streaming methods through the same checks', async () => {
      const { client, port } = await start();
      const messages = await new Promise<EchoReply[]>((resolve, reject) => {
        const out: EchoReply[] = [];
        const stream = (client as unknown as Record<string, (...args: unknown[]) => grpc.ClientReadableStream<EchoReply>>)['EchoStream'].call(client, { message: 's', count: 3 }, metadata.clone());
        stream.on('data', (m: EchoReply) => out.push(m));
        stream.on('error', reject);
        stream.on('end', () => resolve(out));
      });
      expect(messages.map((m) => m.message)).toEqual(['s#0', 's#1', 's#2']);
      const bare = createEchoClient(`127.0.0.1:${port}`);
      clients.push(bare);
      const error = await new Promise<grpc.ServiceError>((resolve) => {
        const stream = (bare as unknown as Record<string, (...args: unknown[]) => grpc.ClientReadableStream<EchoReply>>)['EchoStream'].call(bare, { message: 's', count: 3 }, new grpc.Metadata());
        stream.on('data', () => undefined);
        stream.on('error', resolve);
      });
      expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
    });
  });

  describe('authentication', () => {
    it('rejects a call without credentials as UNAUTHENTICATED without running the handler', async () => {
      const { port, echo, server } = await start();
      const bare = createEchoClient(`127.0.0.1:${port}`);
      clients.push(bare);
      const error = await failure(callUnary(bare, 'Echo', { message: 'x' }));
      expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(error.details).toBe('missing authorization metadata (expected "Bearer <token>")');
      expect(error.metadata.get(MetadataKeys.error)).toEqual(['UNAUTHENTICATED']);
      expect(echo.calls.Echo).toBe(0);
      expect(server.snapshot().refused.unauthenticated).toBe(1);
      expect(await server.metrics.metrics()).toContain('failsoft_server_unauthenticated_total{method="Echo"} 1');
    });

    it('rejects a wrong token (same or different length)', async () => {
      const { client, echo } = await start();
      for (const token of ['test-token-0123456788', 'short']) {
        const error = await failure(callUnary(client, 'Echo', {}, { metadata: authMetadata({ token }, 'gateway', 'g-1') }));
        expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
        expect(error.details).toBe('invalid token in authorization metadata');
      }
      expect(echo.calls.Echo).toBe(0);
    });

    it('uses "unknown" as the caller when an authenticated call does not name itself', async () => {
      const { client } = await start();
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${TOKEN}`);
      expect((await callUnary<EchoReply>(client, 'Echo', {}, { metadata: md })).caller).toBe('unknown');
    });
  });

  describe('deadlines', () => {
    it('refuses a call whose deadline has already passed without running the handler', async () => {
      const { port, echo, server } = await start();
      const body = loadEcho().definition['Echo'].requestSerialize({ message: 'late' });
      const results = await Promise.all(
        Array.from({ length: 5 }, () => rawGrpcCall(port, ECHO_PATH, body, { authorization: `Bearer ${TOKEN}`, 'grpc-timeout': '1n' })),
      );
      for (const result of results) {
        expect(result.code).toBe(grpc.status.DEADLINE_EXCEEDED);
        expect(result.details).toBe('deadline already passed when the call arrived; it was not started');
        expect(result.metadata[MetadataKeys.error]).toBe('DEADLINE_EXCEEDED');
      }
      expect(echo.calls.Echo).toBe(0);
      expect(server.snapshot().refused.deadline).toBe(5);
      expect(await server.metrics.metrics()).toContain('failsoft_server_deadline_refused_total{method="Echo"} 5');
    });

    it('takes the caller\'s absolute deadline (x-failsoft-deadline) when it is earlier than grpc-timeout: a call read late is not fresh', async () => {
      const { port, echo } = await start();
      const definition = loadEcho().definition['Echo'];
      const body = definition.requestSerialize({ message: 'read late' });
      // as a paused server sees it after SIGCONT: a relative grpc-timeout of 5 s, but the caller's deadline is gone
      const late = await rawGrpcCall(port, ECHO_PATH, body, { authorization: `Bearer ${TOKEN}`, 'grpc-timeout': '5S', [MetadataKeys.deadline]: String(Date.now() - 1) });
      expect(late.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(late.metadata[MetadataKeys.error]).toBe('DEADLINE_EXCEEDED');
      expect(echo.calls.Echo).toBe(0);
      // a future absolute deadline, or a malformed one, changes nothing
      for (const value of [String(Date.now() + 60_000), 'soon', '-5']) {
        const result = await rawGrpcCall(port, ECHO_PATH, body, { authorization: `Bearer ${TOKEN}`, 'grpc-timeout': '5S', [MetadataKeys.deadline]: value });
        expect({ value, code: result.code }).toEqual({ value, code: grpc.status.OK });
      }
      expect(echo.calls.Echo).toBe(3);
    });

    it('serves the same raw request when its deadline is in the future (the refusal is about time, not the raw client)', async () => {
      const { port, echo } = await start();
      const definition = loadEcho().definition['Echo'];
      const result = await rawGrpcCall(port, ECHO_PATH, definition.requestSerialize({ message: 'on time' }), { authorization: `Bearer ${TOKEN}`, 'grpc-timeout': '5S' });
      expect(result.code).toBe(grpc.status.OK);
      expect((definition.responseDeserialize(result.message ?? Buffer.alloc(0)) as EchoReply).message).toBe('on time');
      expect(echo.calls.Echo).toBe(1);
    });
  });

  describe('load shedding', () => {
    it('fails fast with RESOURCE_EXHAUSTED beyond maxConcurrent and serves the rest', async () => {
      const { client, echo, server } = await start({ maxConcurrent: 2 });
      const slow = [1, 2].map(() =>
        callUnary<EchoReply>(client, 'Echo', { message: 'slow', delayMs: 2000 }, { metadata, timeoutMs: 10_000 }).then(
          (r) => r.message,
          (e: grpc.ServiceError) => `failed: ${e.code} ${e.details}`,
        ),
      );
      await waitUntil(() => server.inFlight === 2, { timeoutMs: 5000, message: 'slow calls never started' });
      const error = await failure(callUnary(client, 'Echo', { message: 'extra' }, { metadata }));
      expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(error.details).toBe('overloaded: 2 calls already in flight on echo-1; retry on another instance');
      expect(error.metadata.get(MetadataKeys.error)).toEqual(['BULKHEAD_REJECTED']);
      expect(await Promise.all(slow)).toEqual(['slow', 'slow']);
      expect(echo.calls.Echo).toBe(2);
      expect(echo.load.maxActive).toBe(2);
      expect(server.snapshot()).toMatchObject({ shed: 1, served: 2, inFlight: 0 });
      expect(await server.metrics.metrics()).toContain('failsoft_server_shed_total{method="Echo"} 1');
      await callUnary(client, 'Echo', { message: 'after' }, { metadata });
      expect(echo.calls.Echo).toBe(3);
    });
  });

  describe('error mapping', () => {
    async function errorFor(thrown: unknown): Promise<grpc.ServiceError> {
      const { client } = await startWith({
        Echo: () => {
          throw thrown;
        },
      });
      return failure(callUnary(client, 'Echo', {}, { metadata }));
    }

    it('keeps the code and details of a GrpcError (and its trailers)', async () => {
      const trailers = new grpc.Metadata();
      trailers.set('x-retry-after-ms', '250');
      const error = await errorFor(new GrpcError(grpc.status.NOT_FOUND, 'post 42 lookup failed', 'post 42 not found', trailers));
      expect(error.code).toBe(grpc.status.NOT_FOUND);
      expect(error.details).toBe('post 42 not found');
      expect(error.metadata.get('x-retry-after-ms')).toEqual(['250']);
    });

    it('keeps the numeric code of any error carrying one (e.g. a downstream call error), without its trailers', async () => {
      const downstream = Object.assign(new Error('14 UNAVAILABLE: no connection'), { code: grpc.status.UNAVAILABLE, details: 'no connection', metadata: new grpc.Metadata() });
      downstream.metadata.set(MetadataKeys.error, 'DRAINING');
      const error = await errorFor(downstream);
      expect(error.code).toBe(grpc.status.UNAVAILABLE);
      expect(error.details).toBe('no connection');
      expect(error.metadata.get(MetadataKeys.error)).toEqual([]);
    });

    it('maps validation errors to INVALID_ARGUMENT with their message', async () => {
      const error = await errorFor(new ValidationError('caption must be at most 500 characters'));
      expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error.details).toBe('caption must be at most 500 characters');
    });

    it('maps sidecar errors from downstream calls to their gRPC equivalent', async () => {
      const error = await errorFor(new SidecarError('BROKEN_CIRCUIT', 'breaker "likes" is open'));
      expect(error.code).toBe(grpc.status.UNAVAILABLE);
      expect(error.details).toBe('BROKEN_CIRCUIT: breaker "likes" is open');
    });

    it('answers INTERNAL with a safe message for anything else, and logs the error with its stack', async () => {
      const error = await errorFor(new TypeError('cannot read properties of undefined (secret internals)'));
      expect(error.code).toBe(grpc.status.INTERNAL);
      expect(error.details).toBe('internal error (details are in the server log)');
      const logged = logLines.find((l) => l['msg'] === 'handler failed');
      expect(logged).toMatchObject({ level: 'error', method: 'Echo', caller: 'gateway' });
      expect((logged?.['err'] as Record<string, string>)['message']).toBe('cannot read properties of undefined (secret internals)');
      expect((logged?.['err'] as Record<string, string>)['stack']).toContain('TypeError');
      expect(logged?.['traceId']).toMatch(/^[0-9a-f]{32}$/);
    });

    it('answers INTERNAL for rejected promises and non-Error throws too', async () => {
      const { client } = await startWith({ Echo: () => Promise.reject('a string') });
      const error = await failure(callUnary(client, 'Echo', {}, { metadata }));
      expect(error.code).toBe(grpc.status.INTERNAL);
    });
  });

  describe('fault injection', () => {
    it('aborts exactly the calls the injected random picks, marked as injected, without running the handler', async () => {
      const pattern = [0.1, 0.7, 0.3, 0.9];
      let i = 0;
      const faults = new FaultRules({ random: () => pattern[i++ % pattern.length], rules: [{ id: 'half', service: 'echo', method: 'Echo', abortPercent: 50, abortCode: 'UNAVAILABLE' }] });
      const { client, echo, server } = await start({ faults });
      let aborted = 0;
      let injected = 0;
      for (let n = 0; n < 200; n++) {
        try {
          await callUnary(client, 'Echo', { message: 'x' }, { metadata });
        } catch (error) {
          aborted++;
          expect(errorOf(error).code).toBe(grpc.status.UNAVAILABLE);
          expect(errorOf(error).details).toBe('INJECTED_FAULT: rule "half" aborted echo/Echo with UNAVAILABLE');
          if (isInjectedFault(error)) injected++;
        }
      }
      expect(aborted).toBe(100);
      expect(injected).toBe(100);
      expect(echo.calls.Echo).toBe(100);
      expect(server.snapshot().faults).toMatchObject({ aborted: 100, delayed: 0 });
      expect(await server.metrics.metrics()).toContain('failsoft_faults_injected_total{method="Echo",kind="abort"} 100');
    });

    it('aborts about 50% of 1000 calls with a seeded random', async () => {
      let state = 7;
      const random = (): number => {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        return state / 2 ** 32;
      };
      const { client, echo } = await start({ faults: new FaultRules({ random, rules: [{ id: 'half', service: 'echo', abortPercent: 50 }] }) });
      const outcomes = await Promise.all(
        Array.from({ length: 1000 }, () => callUnary(client, 'Echo', {}, { metadata }).then(() => false, (error) => isInjectedFault(error))),
      );
      const aborted = outcomes.filter(Boolean).length;
      expect(aborted).toBeGreaterThanOrEqual(400);
      expect(aborted).toBeLessThanOrEqual(600);
      expect(echo.calls.Echo).toBe(1000 - aborted);
    });

    it('leaves other services and methods alone', async () => {
      const faults = new FaultRules({ rules: [{ id: 'other', service: 'likes', abortPercent: 100 }, { id: 'relay-only', service: 'echo', method: 'Relay', abortPercent: 100 }] });
      const { client, echo } = await start({ faults });
      await callUnary(client, 'Echo', {}, { metadata });
      expect(echo.calls.Echo).toBe(1);
    });

    it('delays calls but never past their deadline, and applies rule changes at runtime', async () => {
      const faults = new FaultRules();
      const { client, echo, server } = await start({ faults });
      await callUnary(client, 'Echo', {}, { metadata });
      faults.set({ id: 'slow', service: 'echo', delayMs: 60_000 });
      const error = await failure(callUnary(client, 'Echo', {}, { metadata, timeoutMs: 1000 }));
      expect(error.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      await waitUntil(() => server.inFlight === 0, { timeoutMs: 5000, message: 'delayed call never finished after its deadline' });
      expect(echo.calls.Echo).toBe(1);
      faults.set({ id: 'slow', service: 'echo', delayMs: 20 });
      await callUnary(client, 'Echo', {}, { metadata, timeoutMs: 5000 });
      expect(echo.calls.Echo).toBe(2);
      expect(server.snapshot().faults.delayed).toBe(2);
      expect(server.snapshot().faults.rules.map((r) => r.id)).toEqual(['slow']);
      faults.clear();
    });
  });

  describe('health and drain', () => {
    type HealthClient = grpc.Client & {
      Check(r: { service: string }, cb: (e: grpc.ServiceError | null, v?: HealthCheckResponse) => void): void;
      Watch(r: { service: string }): grpc.ClientReadableStream<HealthCheckResponse>;
    };

    function healthClient(port: number): HealthClient {
      const Client = loadHealthClient();
      const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as HealthClient;
      clients.push(client);
      return client;
    }

    it('serves grpc.health.v1 (SERVING once started) and Watch sees NOT_SERVING on drain', async () => {
      const { port, server } = await start();
      const health = healthClient(port);
      const check = (service: string): Promise<HealthCheckResponse> => new Promise((resolve, reject) => health.Check({ service }, (e, v) => (e ? reject(e) : resolve(v as HealthCheckResponse))));
      expect(await check('')).toEqual({ status: 'SERVING' });
      expect(await check('failsoft.test.v1.Echo')).toEqual({ status: 'SERVING' });
      const seen: string[] = [];
      const watch = health.Watch({ service: '' });
      watch.on('data', (m: HealthCheckResponse) => seen.push(m.status));
      const ended = new Promise<grpc.StatusObject>((resolve) => watch.on('status', resolve));
      watch.on('error', () => undefined);
      await waitUntil(() => seen.length === 1, { timeoutMs: 5000, message: 'no initial Watch message' });
      await server.drain();
      expect((await ended).code).toBe(grpc.status.OK);
      expect(seen).toEqual(['SERVING', 'NOT_SERVING']);
    });

    it('drains: in-flight calls complete, new calls get UNAVAILABLE "draining", then it stops', async () => {
      let deregistered = 0;
      const states: string[] = [];
      const { client, server, echo } = await start({ registration: { deregister: async () => void deregistered++ } });
      server.onStateChange(({ to }) => states.push(to));
      let drainingEvents = 0;
      server.onDraining(() => drainingEvents++);
      const inFlight = [1, 2, 3].map(() =>
        callUnary<EchoReply>(client, 'Echo', { message: 'in-flight', delayMs: 1500 }, { metadata, timeoutMs: 10_000 }).then(
          (r) => r.message,
          (e: grpc.ServiceError) => `failed: ${e.code} ${e.details}`,
        ),
      );
      await waitUntil(() => server.inFlight === 3, { timeoutMs: 5000, message: 'calls never started' });
      const drained = server.drain();
      expect(server.drain()).toBe(drained);
      expect(server.state).toBe('draining');
      expect(server.readiness.ready).toBe(false);
      const error = await failure(callUnary(client, 'Echo', { message: 'new' }, { metadata }));
      expect(error.code).toBe(grpc.status.UNAVAILABLE);
      expect(error.details).toMatch(/^draining: /);
      expect(error.metadata.get(MetadataKeys.error)).toEqual(['DRAINING']);
      expect(await Promise.all(inFlight)).toEqual(['in-flight', 'in-flight', 'in-flight']);
      await drained;
      expect(server.state).toBe('stopped');
      expect(states).toEqual(['draining', 'stopped']);
      expect(drainingEvents).toBe(1);
      expect(deregistered).toBe(1);
      expect(echo.calls.Echo).toBe(3);
      expect(server.snapshot().refused.draining).toBe(1);
    });

    it('cancels calls still running when the drain timeout is up', async () => {
      const { client, server } = await start({ drainTimeoutMs: 200 });
      const stuck = callUnary(client, 'Echo', { delayMs: 60_000 }, { metadata, timeoutMs: 120_000 });
      await waitUntil(() => server.inFlight === 1, { timeoutMs: 5000, message: 'call never started' });
      await server.drain();
      const error = await failure(stuck);
      expect([grpc.status.CANCELLED, grpc.status.UNAVAILABLE]).toContain(error.code);
      expect(server.state).toBe('stopped');
      expect(logLines.some((l) => l['msg'] === 'drain timeout: cancelling in-flight calls')).toBe(true);
    });

    it('deregisters a registration set after start (once the port is known)', async () => {
      const { server, port } = await start();
      const removed: number[] = [];
      server.setRegistration({ deregister: async () => void removed.push(port) });
      expect(() => server.setRegistration({} as never)).toThrow('setRegistration(registration) must have a deregister(): Promise<void> method; got {}');
      await server.drain();
      expect(removed).toEqual([port]);
    });

    it('runs the listen hooks once listening, in order, before start() resolves; a failing hook fails start()', async () => {
      const seen: string[] = [];
      const server = new SidecarServer({ service: 'echo', instanceId: 'echo-1', auth: AUTH, logger, onListen: ({ port }) => void seen.push(`option:${port}`) });
      servers.push(server);
      server.onListen(async ({ host, port }) => {
        expect(server.state).toBe('serving');
        seen.push(`added:${host}:${port}`);
      });
      const { port } = await server.start();
      expect(seen).toEqual([`option:${port}`, `added:127.0.0.1:${port}`]);
      expect(() => server.onListen(() => undefined)).toThrow('onListen must be called before start(); the server is serving');

      const failing = new SidecarServer({ service: 'echo', instanceId: 'echo-2', auth: AUTH, logger, onListen: () => Promise.reject(new Error('registry down')) });
      servers.push(failing);
      await expect(failing.start()).rejects.toThrow('registry down');
    });

    it('keeps draining when the deregister hook fails', async () => {
      const { server } = await start({ registration: { deregister: () => Promise.reject(new Error('redis down')) } });
      await server.drain();
      expect(server.state).toBe('stopped');
      expect(logLines.find((l) => l['msg'] === 'deregistration failed while draining; continuing')).toBeDefined();
    });
  });

  describe('telemetry', () => {
    it('exports server metrics and writes one debug line per call with the trace ids', async () => {
      const { client, server } = await start();
      const reply = await callUnary<EchoReply>(client, 'Echo', { message: 'm' }, { metadata });
      await failure(callUnary(client, 'Echo', { failWithCode: grpc.status.NOT_FOUND }, { metadata }));
      const text = await server.metrics.metrics();
      expect(text).toContain('failsoft_server_calls_total{method="Echo",code="OK"} 1');
      expect(text).toContain('failsoft_server_calls_total{method="Echo",code="NOT_FOUND"} 1');
      expect(text).toContain('failsoft_server_call_duration_seconds_count{method="Echo"} 2');
      expect(text).toContain('failsoft_server_in_flight 0');
      const callLines = logLines.filter((l) => l['msg'] === 'call');
      expect(callLines).toHaveLength(2);
      expect(callLines[0]).toMatchObject({ level: 'debug', service: 'echo', instance: 'echo-1', method: 'Echo', code: 'OK', caller: 'gateway' });
      expect(callLines[0]['traceId']).toBe(parseTraceparent(reply.traceparent)?.traceId);
      expect(callLines[0]['spanId']).toBe(parseTraceparent(reply.traceparent)?.spanId);
      expect(callLines[1]).toMatchObject({ code: 'NOT_FOUND' });
    });

    it('reports a snapshot', async () => {
      const faults = new FaultRules({ rules: [{ id: 'r', service: 'other', abortPercent: 1 }] });
      const { client, server, port } = await start({ faults, zone: 'zone-b', maxConcurrent: 9 });
      await callUnary(client, 'Echo', {}, { metadata });
      expect(server.snapshot()).toMatchObject({
        service: 'echo',
        instanceId: 'echo-1',
        zone: 'zone-b',
        state: 'serving',
        address: `127.0.0.1:${port}`,
        inFlight: 0,
        maxConcurrent: 9,
        served: 1,
        failed: 0,
        shed: 0,
        faults: { rules: [{ id: 'r' }] },
        readiness: { ready: true },
        health: { '': 'SERVING', 'failsoft.test.v1.Echo': 'SERVING' },
      });
    });
  });

  describe('options and lifecycle', () => {
    it.each([
      [{ maxConcurrent: 0 }, 'server.maxConcurrent must be an integer >= 1; got 0'],
      [{ maxConcurrent: 1.5 }, 'server.maxConcurrent must be an integer >= 1; got 1.5'],
      [{ port: 70000 }, 'server.port must be an integer from 0 to 65535; got 70000'],
      [{ service: '' }, 'server.service must be a non-empty string; got ""'],
      [{ drainTimeoutMs: -1 }, 'server.drainTimeoutMs must be an integer >= 0; got -1'],
      [{ auth: undefined }, 'server.auth is required: { token } or { tls: { ca, cert, key }, token? } (unauthenticated servers are not supported)'],
      [{ auth: { token: 'has space' } }, 'auth.token must be a non-empty string of visible ASCII characters (no spaces); got a string of 9 characters that is not'],
      [{ faults: { rules: [] } }, 'server.faults must be a FaultRules or RedisFaultRuleStore; got {"rules":[]}'],
      [{ registration: {} }, 'server.registration must have a deregister(): Promise<void> method; got {}'],
    ])('rejects %j', (overrides, message) => {
      let error: unknown;
      try {
        new SidecarServer({ service: 'echo', instanceId: 'echo-1', auth: AUTH, ...overrides } as SidecarServerOptions);
      } catch (e) {
        error = e;
      }
      expect(isInvalidOptionsError(error)).toBe(true);
      expect((error as Error).message).toBe(message);
    });

    it('rejects unknown handler names and late addService calls', async () => {
      const server = new SidecarServer({ service: 'echo', instanceId: 'echo-1', auth: AUTH, logger });
      servers.push(server);
      expect(() => server.addService(loadEcho().definition, { Ecko: async () => ({}) })).toThrow(
        'addService handlers has "Ecko", which is not a method of failsoft.test.v1.Echo (methods: Echo, Relay, EchoStream)',
      );
      server.addService(loadEcho().definition, { echo: async () => ({ message: 'camelCase works' }) });
      const { port } = await server.start();
      expect(() => server.addService(loadEcho().definition, {})).toThrow('addService must be called before start(); the server is serving');
      const client = createEchoClient(`127.0.0.1:${port}`);
      clients.push(client);
      expect((await callUnary<EchoReply>(client, 'Echo', {}, { metadata })).message).toBe('camelCase works');
      const unimplemented = await failure(callUnary(client, 'Relay', {}, { metadata }));
      expect(unimplemented.code).toBe(grpc.status.UNIMPLEMENTED);
    });

    it('fails to start with a BindError when the port is taken', async () => {
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const port = (blocker.address() as { port: number }).port;
      const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined); // grpc-js logs the bind failure itself
      try {
        const server = new SidecarServer({ service: 'echo', instanceId: 'echo-1', auth: AUTH, logger, port });
        servers.push(server);
        let error: unknown;
        try {
          await server.start();
        } catch (e) {
          error = e;
        }
        expect(isBindError(error)).toBe(true);
        expect((error as Error).message).toMatch(new RegExp(`^could not listen on 127\\.0\\.0\\.1:${port}: `));
        expect(server.state).toBe('stopped');
      } finally {
        quiet.mockRestore();
        await new Promise((resolve) => blocker.close(resolve));
      }
    });

    it('drain() before start() just stops the server', async () => {
      const server = new SidecarServer({ service: 'echo', instanceId: 'echo-1', auth: AUTH, logger });
      servers.push(server);
      await server.drain();
      expect(server.state).toBe('stopped');
    });
  });
});
