import { Controller, type INestApplication } from '@nestjs/common';
// @nestjs/microservices itself, installed under an npm alias (package.json devDependencies): were it
// at node_modules/@nestjs/microservices, Nest's core would find it and load it in every app of the
// workspace at start (nest-application.js requires it when present), which costs each service
// process about 0.2 s of CPU (npm run bench:start: 6.9 s with it, 6.6 s without, on 2 cores).
import { GrpcMethod } from 'nestjs-microservices-interop';
import { Test } from '@nestjs/testing';
import * as grpc from '@grpc/grpc-js';
import { lastValueFrom, of, type Observable } from 'rxjs';
import { loadEcho, type EchoReply, type EchoRequest } from '../../../test/fixtures/load-echo';
import { isInvalidOptionsError } from '../core/sidecar.error';
import { Sidecar } from '../sidecar';
import { sidecarClientGrpc } from './grpc-method.adapter';
import { SidecarLifecycle } from './sidecar.lifecycle';
import { SidecarModule } from './sidecar.module';

jest.setTimeout(30_000);

const token = 'grpc-method-spec-token-0123456789';

/** A controller as written for @nestjs/microservices' gRPC transport, unchanged. */
@Controller()
class EchoGrpcController {
  @GrpcMethod('Echo', 'Echo')
  echo(data: EchoRequest, metadata: grpc.Metadata): Observable<Partial<EchoReply>> {
    return of({ message: `echo:${data.message}`, instanceId: 'grpc-method', caller: String(metadata.get('x-failsoft-caller')[0] ?? '') });
  }
}

@Controller()
class UnknownServiceController {
  @GrpcMethod('Other', 'Echo')
  echo(): Partial<EchoReply> {
    return {};
  }
}

const apps: INestApplication[] = [];
let front: Sidecar;

afterAll(async () => {
  for (const app of apps) await app.close();
  await front?.shutdown();
});

async function backend(controller: new () => object): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [SidecarModule.forRoot({ service: 'echo', auth: { token }, logLevel: 'error', httpEndpoints: false, server: { port: 0, host: '127.0.0.1' }, grpcServices: { Echo: loadEcho().definition } })],
    controllers: [controller],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  apps.push(app);
  await app.init();
  return app;
}

describe('@nestjs/microservices interop', () => {
  it('serves @GrpcMethod controllers behind the sidecar server, and a ClientGrpc look-alike calls them through a sidecar client', async () => {
    const app = await backend(EchoGrpcController);
    const port = app.get(SidecarLifecycle).grpcServer?.port as number;
    front = new Sidecar({ service: 'front', auth: { token }, logLevel: 'error' });
    const client = front.client({ service: 'echo', definition: loadEcho().definition, idempotentMethods: '*', resolver: { kind: 'static', service: 'echo', addresses: [`127.0.0.1:${port}`] } });
    await front.start();
    const echo = sidecarClientGrpc({ Echo: client }).getService<{ echo(request: EchoRequest): Observable<EchoReply> }>('Echo');
    const reply = await lastValueFrom(echo.echo({ message: 'nest' }));
    expect([reply.message, reply.instanceId, reply.caller]).toEqual(['echo:nest', 'grpc-method', 'front']);

    // the server's policies apply: a call without the sidecar's identity is refused
    const { Client } = loadEcho();
    const plain = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const refused = await new Promise<grpc.ServiceError | null>((resolve) => plain['Echo']({ message: 'x' }, (error: grpc.ServiceError | null) => resolve(error)));
    plain.close();
    expect(refused?.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('names a @GrpcMethod service missing from grpcServices', async () => {
    const failure = await backend(UnknownServiceController).then(() => undefined, (error: unknown) => error);
    expect(isInvalidOptionsError(failure)).toBe(true);
    expect((failure as Error).message).toMatch(/@GrpcMethod\("Other"\).*grpcServices/);
  });
});
