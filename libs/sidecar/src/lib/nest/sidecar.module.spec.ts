import { Controller, Get, Injectable, Module, Query, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { startRedisServer, waitUntil, type RedisServerHandle } from '@failsoft/testing';
import { loadEcho, type EchoReply } from '../../../test/fixtures/load-echo';
import type { ServiceClient } from '../client/service-client';
import type { HandlerContext } from '../server/handler-context';
import { Sidecar } from '../sidecar';
import { InjectSidecarClient, SidecarHandlers } from './sidecar-handlers.decorator';
import type { SidecarModuleOptions, SidecarOptionsFactory } from './sidecar.interfaces';
import { SidecarModule } from './sidecar.module';

jest.setTimeout(30_000);

const token = 'nest-spec-token-0123456789';
let redisServer: RedisServerHandle;
const redisClients: Redis[] = [];
const apps: INestApplication[] = [];

function redis(): Redis {
  const client = new Redis({ port: redisServer.port, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  redisClients.push(client);
  return client;
}

/** gRPC handlers of the backend app, as a Nest provider. */
@Injectable()
@SidecarHandlers(loadEcho().definition)
class EchoHandlers {
  calls = 0;

  async Echo(request: { message: string }, ctx: HandlerContext): Promise<Partial<EchoReply>> {
    this.calls++;
    return { message: `echo:${request.message}`, instanceId: 'nest-backend', caller: ctx.caller, deadlineMs: Math.round(ctx.deadline - Date.now()), traceparent: '' };
  }
  async Relay(): Promise<never> {
    throw new Error('not used by this spec');
  }
  async EchoStream(): Promise<void> {
    return undefined;
  }
}

@Module({ providers: [EchoHandlers] })
class BackendHandlersModule {}

/** The front app's controller calls the backend through the injected client. */
@Controller('api')
class FrontController {
  constructor(@InjectSidecarClient('echo') private readonly echo: ServiceClient) {}

  @Get('echo')
  async get(@Query('m') message: string): Promise<EchoReply | { message: string }> {
    return this.echo.call<unknown, EchoReply | { message: string }>('Echo', { message }, { fallback: () => ({ message: 'fallback' }) });
  }
}

@Injectable()
class FrontOptions implements SidecarOptionsFactory {
  createSidecarOptions(): SidecarModuleOptions {
    return {
      service: 'front',
      auth: { token },
      redis: redis(),
      logLevel: 'error',
      discovery: { ttlMs: 3000, heartbeatMs: 500 },
      clients: [{ service: 'echo', definition: loadEcho().definition, idempotentMethods: ['Echo'] }],
    };
  }
}

@Module({ providers: [FrontOptions], exports: [FrontOptions] })
class FrontOptionsModule {}

async function backendApp(readinessChecks?: SidecarModuleOptions['readinessChecks']): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      SidecarModule.forRoot({ service: 'echo', auth: { token }, redis: redis(), logLevel: 'error', discovery: { ttlMs: 3000, heartbeatMs: 500 }, server: { port: 0 }, readinessChecks }),
      BackendHandlersModule,
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  apps.push(app);
  return app;
}

async function frontApp(variant: 'useClass' | 'useExisting' | 'useFactory'): Promise<INestApplication> {
  const async =
    variant === 'useClass'
      ? SidecarModule.forRootAsync({ useClass: FrontOptions, clients: ['echo'] })
      : variant === 'useExisting'
        ? SidecarModule.forRootAsync({ imports: [FrontOptionsModule], useExisting: FrontOptions, clients: ['echo'] })
        : SidecarModule.forRootAsync({ imports: [FrontOptionsModule], inject: [FrontOptions], useFactory: (f: FrontOptions) => f.createSidecarOptions(), clients: ['echo'] });
  const moduleRef = await Test.createTestingModule({ imports: [async], controllers: [FrontController] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  apps.push(app);
  return app;
}

beforeAll(async () => {
  redisServer = await startRedisServer();
});

afterEach(async () => {
  for (const app of apps.splice(0).reverse()) await app.close();
});

afterAll(async () => {
  for (const client of redisClients) client.disconnect();
  await redisServer?.stop();
});

describe('SidecarModule', () => {
  it.each(['useClass', 'useExisting', 'useFactory'] as const)('serves gRPC from @SidecarHandlers and injects a working client (%s)', async (variant) => {
    const backend = await backendApp();
    const front = await frontApp(variant);
    const frontUrl = await front.getUrl();
    const body = await waitUntil(
      async () => {
        const res = await fetch(`${frontUrl}/api/echo?m=hi`);
        const json = (await res.json()) as { message: string; caller?: string; deadlineMs?: number };
        return json.message === 'echo:hi' ? { json, traceparent: res.headers.get('traceparent') } : undefined;
      },
      { timeoutMs: 10_000, message: 'the front app to reach the backend through discovery' },
    );
    expect(body.json.caller).toBe('front');
    // the HTTP request's deadline (10 s default) propagated to the gRPC call
    expect(body.json.deadlineMs).toBeGreaterThan(0);
    expect(body.json.deadlineMs).toBeLessThanOrEqual(10_000);
    expect(body.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(backend.get(EchoHandlers).calls).toBeGreaterThan(0);
  });

  it('exposes readiness, metrics and the snapshot over HTTP', async () => {
    const backend = await backendApp();
    const front = await frontApp('useClass');
    const frontUrl = await front.getUrl();
    await waitUntil(async () => (await fetch(`${frontUrl}/api/echo?m=x`).then((r) => r.json()) as { message: string }).message === 'echo:x', { timeoutMs: 10_000 });
    const ready = await fetch(`${await backend.getUrl()}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${frontUrl}/metrics`)).text();
    expect(metrics).toMatch(/failsoft_client_calls_total\{[^}]*service="echo"/);
    const snapshot = (await (await fetch(`${frontUrl}/snapshot`)).json()) as { service: string; downstreams: Array<{ service: string; instances: unknown[] }> };
    expect(snapshot.service).toBe('front');
    expect(snapshot.downstreams[0]).toMatchObject({ service: 'echo' });
    expect(snapshot.downstreams[0].instances).toHaveLength(1);
  });

  it('serves fallbacks when the backend is gone, and drains (deregisters) on close', async () => {
    const backend = await backendApp();
    const front = await frontApp('useFactory');
    const frontUrl = await front.getUrl();
    await waitUntil(async () => (await fetch(`${frontUrl}/api/echo?m=x`).then((r) => r.json()) as { message: string }).message === 'echo:x', { timeoutMs: 10_000 });
    await backend.close();
    apps.splice(apps.indexOf(backend), 1);
    const sidecar = front.get(Sidecar);
    await waitUntil(() => sidecar.snapshot().downstreams[0].instances.length === 0, { timeoutMs: 5000, message: 'the closed backend to deregister' });
    const res = await fetch(`${frontUrl}/api/echo?m=x`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: 'fallback' });
  });

  it('beginDrain(): not ready and out of discovery at once, while the gRPC server and clients keep working', async () => {
    const backend = await backendApp();
    const front = await frontApp('useClass');
    const frontUrl = await front.getUrl();
    const backendUrl = await backend.getUrl();
    await waitUntil(async () => (await fetch(`${frontUrl}/api/echo?m=x`).then((r) => r.json()) as { message: string }).message === 'echo:x', { timeoutMs: 10_000 });
    const { address } = front.get(Sidecar).snapshot().downstreams[0].instances[0];

    await backend.get(Sidecar).beginDrain();
    expect((await fetch(`${backendUrl}/readyz`)).status).toBe(503);
    expect(backend.get(Sidecar).snapshot().registered).toBe(false);
    await waitUntil(() => front.get(Sidecar).snapshot().downstreams[0].instances.length === 0, { timeoutMs: 5000, message: 'the draining backend to leave the view' });
    // still serving: a caller that knows the address (a stale view) is answered normally
    const late = new Sidecar({ service: 'late', auth: { token }, logLevel: 'error' });
    try {
      const client = late.client({ service: 'echo', definition: loadEcho().definition, resolver: { kind: 'static', service: 'echo', addresses: [address] } });
      await late.start();
      await expect(client.call<unknown, EchoReply>('Echo', { message: 'late' })).resolves.toMatchObject({ message: 'echo:late' });
    } finally {
      await late.shutdown();
    }
  });

  it('is not ready while a readiness check from the options fails, and names it', async () => {
    let redisUp = false;
    const backend = await backendApp({ redis: () => redisUp });
    const url = await backend.getUrl();
    const down = await waitUntil(async () => {
      const res = await fetch(`${url}/readyz`);
      return res.status === 503 ? res.text() : undefined;
    }, { timeoutMs: 5000, message: '/readyz to report the failing check' });
    expect(down).toContain('redis');
    redisUp = true;
    await waitUntil(async () => (await fetch(`${url}/readyz`)).status === 200, { timeoutMs: 10_000, message: '/readyz to recover once the check passes' });
    expect(() => new Sidecar({ service: 'x', auth: { token }, readinessChecks: { redis: 'yes' as never } })).toThrow(
      'sidecar.readinessChecks.redis must be a function returning a boolean; got "yes"',
    );
  });

  it('refuses async options without a factory, naming what is missing', () => {
    expect(() => SidecarModule.forRootAsync({ clients: ['echo'] })).toThrow('SidecarModule.forRootAsync needs exactly one of useFactory, useClass, useExisting; got 0');
  });
});
