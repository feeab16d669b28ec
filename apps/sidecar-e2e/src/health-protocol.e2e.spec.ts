import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, service as officialHealthService } from 'grpc-health-check';
import { Sidecar, type SidecarServer } from '@failsoft/sidecar';
import { waitUntil } from '@failsoft/testing';

/**
 * Why the sidecar keeps its own grpc.health.v1 service instead of the official `grpc-health-check`
 * (see docs/use-in-your-nest-app.md, "Health"): on the wire they are the same protocol (the
 * official package's client reads ours), but ours follows the process's readiness (a failing
 * readiness check or a drain turns it NOT_SERVING by itself), while the official implementation
 * answers whatever was last passed to setStatus().
 */
const token = 'health-protocol-token-0123456789';
const HealthClient = grpc.makeGenericClientConstructor(officialHealthService as unknown as grpc.ServiceDefinition, 'Health');

function check(address: string): Promise<string> {
  const client = new HealthClient(address, grpc.credentials.createInsecure());
  return new Promise<string>((resolve, reject) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (arg: { service: string }) => (officialHealthService as unknown as grpc.ServiceDefinition)['Check'].requestSerialize(arg),
      (buf: Buffer) => (officialHealthService as unknown as grpc.ServiceDefinition)['Check'].responseDeserialize(buf),
      { service: '' },
      (error: grpc.ServiceError | null, reply?: { status: string }) => {
        client.close();
        if (error) reject(error);
        else resolve(String(reply?.status));
      },
    );
  });
}

let redisUp = true;
let sidecar: Sidecar;
let sidecarServer: SidecarServer;
let plain: grpc.Server;
let plainPort: number;

beforeAll(async () => {
  sidecar = new Sidecar({ service: 'health-demo', auth: { token }, logLevel: 'error', readinessChecks: { redis: () => redisUp } });
  sidecarServer = sidecar.server({ port: 0, host: '127.0.0.1' });
  await sidecar.start();
  await sidecarServer.start();
  // the official implementation on a plain server, told SERVING once, as its README shows
  plain = new grpc.Server();
  new HealthImplementation({ '': 'SERVING' }).addToServer(plain);
  plainPort = await new Promise<number>((resolve, reject) =>
    plain.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
  );
});

afterAll(async () => {
  await sidecar.shutdown();
  plain.forceShutdown();
});

describe('grpc.health.v1: the sidecar’s service vs grpc-health-check', () => {
  it('speaks the same protocol: the official client reads SERVING from the sidecar', async () => {
    await waitUntil(async () => (await check(`127.0.0.1:${sidecarServer.port}`)) === 'SERVING', { timeoutMs: 15_000, message: 'sidecar health SERVING' });
    expect(await check(`127.0.0.1:${plainPort}`)).toBe('SERVING');
  });

  it('follows readiness: a failing dependency turns the sidecar NOT_SERVING; the official one still says SERVING', async () => {
    redisUp = false;
    await waitUntil(async () => (await check(`127.0.0.1:${sidecarServer.port}`)) === 'NOT_SERVING', { timeoutMs: 15_000, message: 'sidecar health NOT_SERVING once the readiness check fails' });
    expect(await check(`127.0.0.1:${plainPort}`)).toBe('SERVING');
    redisUp = true;
    await waitUntil(async () => (await check(`127.0.0.1:${sidecarServer.port}`)) === 'SERVING', { timeoutMs: 15_000, message: 'sidecar health SERVING again' });
  });
});
