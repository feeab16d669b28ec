import * as grpc from '@grpc/grpc-js';
import { existsSync } from 'node:fs';
import { HEALTH_PROTO_PATH, HealthService, loadHealthClient, type HealthCheckResponse } from './health.service';

type HealthClient = grpc.Client & {
  Check(request: { service: string }, callback: (error: grpc.ServiceError | null, response?: HealthCheckResponse) => void): grpc.ClientUnaryCall;
  Watch(request: { service: string }): grpc.ClientReadableStream<HealthCheckResponse>;
};

function check(client: HealthClient, service: string): Promise<HealthCheckResponse> {
  return new Promise((resolve, reject) => client.Check({ service }, (error, response) => (error ? reject(error) : resolve(response as HealthCheckResponse))));
}

/** Collects Watch messages; `next()` resolves with the next one. */
function watch(client: HealthClient, service: string) {
  const stream = client.Watch({ service });
  const received: string[] = [];
  const waiting: Array<(value: string) => void> = [];
  const ended: Promise<grpc.StatusObject> = new Promise((resolve) => stream.on('status', resolve));
  stream.on('error', () => undefined);
  stream.on('data', (message: HealthCheckResponse) => {
    const waiter = waiting.shift();
    if (waiter) waiter(message.status);
    else received.push(message.status);
  });
  return {
    stream,
    ended,
    next: (): Promise<string> => (received.length > 0 ? Promise.resolve(received.shift() as string) : new Promise((resolve) => waiting.push(resolve))),
  };
}

describe('HealthService (real gRPC)', () => {
  let server: grpc.Server;
  let health: HealthService;
  let client: HealthClient;

  beforeEach(async () => {
    health = new HealthService({ '': 'NOT_SERVING', 'failsoft.test.v1.Echo': 'SERVING' });
    server = new grpc.Server();
    health.addTo(server);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const Client = loadHealthClient();
    client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as HealthClient;
  });

  afterEach(() => {
    client.close();
    health.shutdown();
    server.forceShutdown();
  });

  it('ships the proto next to the code', () => {
    expect(existsSync(HEALTH_PROTO_PATH)).toBe(true);
  });

  it('answers Check with the current status', async () => {
    expect(await check(client, '')).toEqual({ status: 'NOT_SERVING' });
    expect(await check(client, 'failsoft.test.v1.Echo')).toEqual({ status: 'SERVING' });
    health.setStatus('', 'SERVING');
    expect(await check(client, '')).toEqual({ status: 'SERVING' });
  });

  it('answers Check with NOT_FOUND for unknown services', async () => {
    await expect(check(client, 'nope.Service')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, details: 'unknown service "nope.Service"' });
  });

  it('streams the current status at once, then every change, and ends cleanly on shutdown', async () => {
    const w = watch(client, '');
    expect(await w.next()).toBe('NOT_SERVING');
    health.setStatus('', 'SERVING');
    expect(await w.next()).toBe('SERVING');
    health.setStatus('', 'SERVING'); // no change, no message
    health.setStatus('', 'NOT_SERVING');
    expect(await w.next()).toBe('NOT_SERVING');
    health.setStatus('', 'SERVING');
    expect(await w.next()).toBe('SERVING');
    health.shutdown();
    expect(await w.next()).toBe('NOT_SERVING');
    expect((await w.ended).code).toBe(grpc.status.OK);
    expect(health.watchCount).toBe(0);
  });

  it('sends SERVICE_UNKNOWN for an unknown service without ending, then its status once known', async () => {
    const w = watch(client, 'later.Service');
    expect(await w.next()).toBe('SERVICE_UNKNOWN');
    health.setStatus('later.Service', 'SERVING');
    expect(await w.next()).toBe('SERVING');
  });

  it('forgets a watcher when the client cancels', async () => {
    const w = watch(client, '');
    expect(await w.next()).toBe('NOT_SERVING');
    expect(health.watchCount).toBe(1);
    w.stream.cancel();
    expect((await w.ended).code).toBe(grpc.status.CANCELLED);
    const started = Date.now();
    while (health.watchCount > 0 && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(health.watchCount).toBe(0);
  });

  it('rejects bad statuses', () => {
    expect(() => health.setStatus('', 'DANCING' as never)).toThrow('health status must be one of "SERVING", "NOT_SERVING"; got "DANCING"');
  });
});
