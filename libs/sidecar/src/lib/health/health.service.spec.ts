import * as grpc from '@grpc/grpc-js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { HEALTH_LIST_MAX, HEALTH_PROTO_PATH, HealthService, healthProtoCandidates, loadHealthClient, resolveHealthProtoPath, type HealthCheckResponse, type HealthListResponse } from './health.service';

type HealthClient = grpc.Client & {
  Check(request: { service: string }, callback: (error: grpc.ServiceError | null, response?: HealthCheckResponse) => void): grpc.ClientUnaryCall;
  List(request: Record<string, never>, callback: (error: grpc.ServiceError | null, response?: HealthListResponse) => void): grpc.ClientUnaryCall;
  Watch(request: { service: string }): grpc.ClientReadableStream<HealthCheckResponse>;
};

function list(client: HealthClient): Promise<HealthListResponse> {
  return new Promise((resolve, reject) => client.List({}, (error, response) => (error ? reject(error) : resolve(response as HealthListResponse))));
}

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

  it('loads upstream\'s proto kept by libs/contracts when running from sources', () => {
    expect(relative(join(__dirname, '..', '..', '..', '..', '..'), HEALTH_PROTO_PATH)).toBe(join('libs', 'contracts', 'src', 'proto', 'grpc', 'health', 'v1', 'health.proto'));
  });

  it('prefers the copy a built package ships next to the module, and finds none in an empty folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'health-proto-'));
    try {
      const module = join(dir, 'a', 'b', 'c', 'health');
      mkdirSync(module, { recursive: true });
      expect(resolveHealthProtoPath(module)).toBeUndefined();
      const [shipped, workspace] = healthProtoCandidates(module);
      mkdirSync(join(workspace, '..'), { recursive: true });
      writeFileSync(workspace, 'syntax = "proto3";');
      expect(resolveHealthProtoPath(module)).toBe(workspace);
      mkdirSync(join(shipped, '..'), { recursive: true });
      writeFileSync(shipped, 'syntax = "proto3";');
      expect(resolveHealthProtoPath(module)).toBe(shipped);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers List with every known service and its status', async () => {
    expect(await list(client)).toEqual({ statuses: { '': { status: 'NOT_SERVING' }, 'failsoft.test.v1.Echo': { status: 'SERVING' } } });
    health.setStatus('later.Service', 'SERVING');
    expect((await list(client)).statuses['later.Service']).toEqual({ status: 'SERVING' });
  });

  it('answers List with RESOURCE_EXHAUSTED beyond HEALTH_LIST_MAX services (and lists exactly the maximum)', async () => {
    for (let i = 0; Object.keys(health.statusesSnapshot()).length < HEALTH_LIST_MAX; i += 1) health.setStatus(`s${i}`, 'SERVING');
    expect(Object.keys((await list(client)).statuses)).toHaveLength(HEALTH_LIST_MAX);
    health.setStatus('one.too.many', 'SERVING');
    await expect(list(client)).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: `${HEALTH_LIST_MAX + 1} health services known; List answers at most ${HEALTH_LIST_MAX}` });
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
