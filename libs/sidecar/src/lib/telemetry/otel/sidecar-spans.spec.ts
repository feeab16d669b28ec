import { status } from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import { AlwaysOffSampler, InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { EchoService, loadEcho, type EchoReply } from '../../../../test/fixtures';
import { StaticResolver } from '../../discovery/static.resolver';
import { ServiceClient } from '../../client/service-client';
import { GrpcError } from '../../server/grpc-error';
import { SidecarServer } from '../../server/sidecar.server';
import { createLogger } from '../logger';
import { SpanAttributes } from './span-attributes';
import { tracingActive } from './tracer';

jest.setTimeout(30_000);

const auth = { token: 'spans-spec-token-0123456789' };
const quiet = createLogger({ service: 'spec', instance: 'spec', level: 'error' });
const servers: SidecarServer[] = [];
const clients: ServiceClient[] = [];

async function startEcho(id: string, broken: boolean): Promise<string> {
  const echo = new EchoService({ instanceId: id, baseDelayMs: 0, relayAuth: auth, relayCaller: 'echo' });
  const server = new SidecarServer({ service: 'echo', instanceId: id, auth, logger: quiet });
  server.addService(loadEcho().definition, {
    ...echo.handlers,
    Echo: async (request: unknown, ctx: unknown) => {
      if (broken) throw new GrpcError(status.UNAVAILABLE, `${id} is broken`);
      return (echo.handlers['Echo'] as (r: unknown, c: unknown) => Promise<EchoReply>)(request, ctx);
    },
  });
  servers.push(server);
  return `127.0.0.1:${(await server.start()).port}`;
}

function echoClient(addresses: string[]): ServiceClient {
  const client = new ServiceClient({
    service: 'echo',
    definition: loadEcho().definition,
    resolver: new StaticResolver({ service: 'echo', addresses }),
    caller: { service: 'spec', instance: 'spec-1' },
    auth,
    idempotentMethods: ['Echo'],
    balancer: { kind: 'round-robin' },
  });
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.shutdown();
  await Promise.all(servers.splice(0).map((s) => s.shutdown()));
  trace.disable();
});

describe('sidecar spans', () => {
  it('creates no span objects and sends no traceparent of its own when no tracer provider is registered', async () => {
    expect(tracingActive()).toBe(false);
    const client = echoClient([await startEcho('ok-1', false)]);
    await expect(client.call('Echo', { message: 'x' })).resolves.toMatchObject({ message: 'x' });
  });

  it('a retried call: client span, one child span per attempt with instance, attempt, retry reason and breaker state; server spans below them', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);
    expect(tracingActive()).toBe(true);
    const broken = await startEcho('broken-1', true);
    const ok = await startEcho('ok-1', false);
    const client = echoClient([broken, ok]);
    // round robin alternates: within a few calls one starts on the broken instance and is retried on the good one
    let call: ReadableSpan | undefined;
    let attempts: ReadableSpan[] = [];
    for (let i = 0; i < 6 && call === undefined; i++) {
      exporter.reset();
      await client.call('Echo', { message: 'x' });
      await provider.forceFlush();
      const spans = exporter.getFinishedSpans();
      attempts = spans.filter((s) => s.name === 'echo attempt').sort((x, y) => Number(x.attributes[SpanAttributes.attempt]) - Number(y.attributes[SpanAttributes.attempt]));
      if (attempts.length === 2) call = spans.find((s) => s.name === 'echo/Echo');
    }
    if (call === undefined) throw new Error('no call out of 6 was retried (round robin should start one on the broken instance)');
    const spans = exporter.getFinishedSpans();
    expect(call.attributes[SpanAttributes.outcome]).toBe('OK');
    expect(call.attributes[SpanAttributes.fallbackUsed]).toBe(false);
    expect(attempts.map((a) => a.parentSpanContext?.spanId)).toEqual([call.spanContext().spanId, call.spanContext().spanId]);
    expect(attempts.map((a) => a.attributes[SpanAttributes.attempt])).toEqual([0, 1]);
    expect(attempts.map((a) => a.attributes[SpanAttributes.serverAddress])).toEqual([broken, ok]);
    expect(attempts[0].attributes[SpanAttributes.outcome]).toBe('UNAVAILABLE');
    expect(attempts[1].attributes[SpanAttributes.retryReason]).toBe('UNAVAILABLE');
    expect(attempts[0].attributes[SpanAttributes.breakerState]).toBe('closed');
    expect(typeof attempts[0].attributes[SpanAttributes.deadlineLeftMs]).toBe('number');
    const served = spans.filter((s) => s.name === '/failsoft.test.v1.Echo/Echo');
    expect(served).toHaveLength(2);
    expect(new Set(served.map((s) => s.parentSpanContext?.spanId))).toEqual(new Set(attempts.map((a) => a.spanContext().spanId)));
    expect(served.every((s) => s.attributes[SpanAttributes.admission] === 'admitted')).toBe(true);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  it('a call the sampler drops: no span recorded, and every attempt sends the call span\'s own unsampled context downstream', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({ sampler: new AlwaysOffSampler(), spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);
    const ok = await startEcho('ok-1', false);
    const client = echoClient([ok]);
    const replies = [await client.call<unknown, EchoReply>('Echo', { message: 'a' }), await client.call<unknown, EchoReply>('Echo', { message: 'b' })];
    await provider.forceFlush();
    expect(exporter.getFinishedSpans()).toEqual([]);
    // a context of its own per call (the server's parent-based sampler follows the 00 flags), not the no-SDK "none sent"
    for (const reply of replies) expect(reply.incomingTraceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(replies[0].incomingTraceparent.slice(3, 35)).not.toBe(replies[1].incomingTraceparent.slice(3, 35));
  });

  it('a call answered by its fallback says so on the client span', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);
    const client = echoClient([await startEcho('broken-1', true)]);
    await expect(client.call('Echo', { message: 'x' }, { fallback: () => ({ message: 'degraded' }) })).resolves.toEqual({ message: 'degraded' });
    await provider.forceFlush();
    const call = exporter.getFinishedSpans().find((s) => s.name === 'echo/Echo') as ReadableSpan;
    expect(call.attributes[SpanAttributes.fallbackUsed]).toBe(true);
    expect(call.attributes[SpanAttributes.outcome]).toBe('UNAVAILABLE');
  });
});
