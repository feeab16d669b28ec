import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { ServiceDefinition } from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import { loadEcho, type EchoReply, type EchoRequest } from '../../../test/fixtures/load-echo';
import { isInvalidOptionsError } from '../core/sidecar.error';
import { Sidecar } from '../sidecar';
import { defineSidecarClient, type SidecarClientOf } from './sidecar-client.definition';
import { InjectSidecarClient } from './sidecar-handlers.decorator';
import { SidecarModule } from './sidecar.module';

jest.setTimeout(30_000);

const token = 'typed-client-spec-token-0123456789';

/** What proto-loader-gen-types writes for the Echo service (the methods this spec calls). */
interface EchoDefinition extends ServiceDefinition {
  Echo: MethodDefinition<EchoRequest, EchoReply, EchoRequest, EchoReply>;
}
const EchoClient = defineSidecarClient('echo', loadEcho().definition as EchoDefinition, { idempotentMethods: ['Echo'], timeoutMs: 5000 });

@Injectable()
class Greeter {
  constructor(@InjectSidecarClient(EchoClient) readonly echo: SidecarClientOf<typeof EchoClient>) {}
}

let backend: Sidecar;
let port: number;
const apps: INestApplication[] = [];

beforeAll(async () => {
  backend = new Sidecar({ service: 'echo', auth: { token }, logLevel: 'error' });
  const server = backend.server({ port: 0, host: '127.0.0.1' });
  server.addService(loadEcho().definition, {
    Echo: async (request: EchoRequest) => ({ message: `echo:${request.message}`, instanceId: 'typed-backend' }),
    Relay: async () => ({}),
    EchoStream: async () => undefined,
  } as never);
  await backend.start();
  await server.start();
  port = server.port as number;
});

afterAll(async () => {
  for (const app of apps) await app.close();
  await backend.shutdown();
});

async function front(imports: Parameters<typeof Test.createTestingModule>[0]['imports']): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports, providers: [Greeter] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  apps.push(app);
  await app.init();
  return app;
}

describe('SidecarModule.forFeature + @InjectSidecarClient(definition)', () => {
  it('injects a TypedClient whose methods call the downstream (settings from the registration factory)', async () => {
    const app = await front([
      SidecarModule.forRoot({ service: 'front', auth: { token }, logLevel: 'error' }),
      SidecarModule.forFeature([{ client: EchoClient, useFactory: async () => ({ resolver: { kind: 'static', service: 'echo', addresses: [`127.0.0.1:${port}`] } }) }]),
    ]);
    const reply = await app.get(Greeter).echo.Echo({ message: 'typed' });
    expect([reply.message, reply.instanceId]).toEqual(['echo:typed', 'typed-backend']);
  });

  it("takes the deployment's settings from the root options' clients entry of the same service", async () => {
    const app = await front([
      SidecarModule.forRootAsync({
        useFactory: () => ({
          service: 'front',
          auth: { token },
          logLevel: 'error',
          clients: [{ service: 'echo', definition: loadEcho().definition, resolver: { kind: 'static', service: 'echo', addresses: [`127.0.0.1:${port}`] } }],
        }),
      }),
      SidecarModule.forFeature([EchoClient]),
    ]);
    expect((await app.get(Greeter).echo.Echo({ message: 'root' })).message).toBe('echo:root');
  });

  it('rejects bad definitions and registrations naming the bad value', () => {
    const bad = [
      () => defineSidecarClient('', loadEcho().definition),
      () => defineSidecarClient('echo', {} as ServiceDefinition),
      () => SidecarModule.forFeature([{ client: 'echo' } as never]),
      () => SidecarModule.forFeature('echo' as never),
    ];
    for (const make of bad) {
      let caught: unknown;
      try {
        make();
      } catch (error) {
        caught = error;
      }
      expect(isInvalidOptionsError(caught)).toBe(true);
      expect((caught as Error).message).toMatch(/got /);
    }
  });
});
