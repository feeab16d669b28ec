import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { outputOf, spawnTsNode } from '@failsoft/testing';
import { isInvalidOptionsError } from '../../core/sidecar.error';
import { startTracing } from './tracing-sdk';
import { tracingActive } from './tracer';

describe('startTracing', () => {
  afterEach(() => trace.disable());

  it.each([
    ['nothing set', {}],
    ['OTEL_SDK_DISABLED=true', { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }],
    ['OTEL_TRACES_EXPORTER=none', { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }],
  ])('registers nothing with %s (the API stays a no-op)', (_what, env) => {
    expect(startTracing({ service: 'likes', instance: 'likes-1', env })).toBeUndefined();
    expect(tracingActive()).toBe(false);
  });

  it('rejects an unknown exporter naming the value', () => {
    let error: unknown;
    try {
      startTracing({ service: 'likes', instance: 'likes-1', env: { OTEL_TRACES_EXPORTER: 'zipkin' } });
    } catch (e) {
      error = e;
    }
    expect(isInvalidOptionsError(error)).toBe(true);
    expect(String(error)).toMatch(/OTEL_TRACES_EXPORTER must be one of otlp, console, none; got "zipkin"/);
  });

  it('a process exports its spans over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT, service and instance as resource, flushed at shutdown', async () => {
    const bodies: string[] = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        bodies.push(`${req.url} ${req.headers['content-type']} ${body}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      // a real process: the exporter's transport is loaded the way a service loads it (not through jest's module registry)
      const child = spawnTsNode('libs/sidecar/test/fixtures/tracing.process.ts', [], { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_EXPORTER: undefined, OTEL_SDK_DISABLED: undefined });
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(outputOf(child)).toContain('tracing: on');
      expect(code).toBe(0);
      expect(bodies).toHaveLength(1);
      expect(bodies[0]).toMatch(/^\/v1\/traces application\/json /);
      expect(bodies[0]).toContain('"one span"');
      expect(bodies[0]).toContain('"likes-1"');
      expect(bodies[0]).toContain('"zone-a"');
    } finally {
      server.close();
    }
  });

  it('leaves a tracer provider registered before it alone (a user setup is honoured)', () => {
    const handle = startTracing({ service: 'likes', instance: 'likes-1', env: { OTEL_TRACES_EXPORTER: 'console' } });
    expect(handle).toBeDefined();
    expect(startTracing({ service: 'other', instance: 'other-1', env: { OTEL_TRACES_EXPORTER: 'console' } })).toBeUndefined();
    void handle?.shutdown();
  });
});
