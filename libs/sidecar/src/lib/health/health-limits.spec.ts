import { waitUntil } from '@failsoft/testing';
import * as grpc from '@grpc/grpc-js';
import { isInvalidOptionsError } from '../core/sidecar.error';
import { DEFAULT_HEALTH_LIMITS, resolveHealthLimits } from './health-limits';
import { HealthService, loadHealthClient, type HealthCheckResponse } from './health.service';

type HealthClient = grpc.Client & {
  Check(request: { service: string }, callback: (error: grpc.ServiceError | null, response?: HealthCheckResponse) => void): grpc.ClientUnaryCall;
  Watch(request: { service: string }): grpc.ClientReadableStream<HealthCheckResponse>;
};

/** The first thing a Watch stream says: its first status, or its error code name. */
function firstWord(stream: grpc.ClientReadableStream<HealthCheckResponse>): Promise<string> {
  return new Promise((resolve) => {
    stream.once('data', (message: HealthCheckResponse) => resolve(message.status));
    stream.once('error', (error: grpc.ServiceError) => resolve(grpc.status[error.code]));
  });
}

describe('health limits (real gRPC)', () => {
  let server: grpc.Server;
  let health: HealthService;
  let port: number;
  const clients: HealthClient[] = [];
  const streams: Array<grpc.ClientReadableStream<HealthCheckResponse>> = [];

  function connect(): HealthClient {
    const Client = loadHealthClient();
    // a channel of its own (no sharing of subchannels between clients): one connection each
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }) as unknown as HealthClient;
    clients.push(client);
    return client;
  }

  function open(client: HealthClient, service = ''): grpc.ClientReadableStream<HealthCheckResponse> {
    const stream = client.Watch({ service });
    stream.on('error', () => undefined);
    streams.push(stream);
    return stream;
  }

  beforeEach(async () => {
    health = new HealthService({ '': 'SERVING' }, { maxWatches: 5, maxWatchesPerConnection: 3, maxNameLength: 50 });
    server = new grpc.Server();
    health.addTo(server);
    port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  });

  afterEach(() => {
    for (const stream of streams.splice(0)) stream.cancel();
    for (const client of clients.splice(0)) client.close();
    health.shutdown();
    server.forceShutdown();
  });

  it('refuses a name over maxNameLength in Check and Watch (INVALID_ARGUMENT), and keeps nothing of it', async () => {
    const client = connect();
    const error = await new Promise<grpc.ServiceError | null>((resolve) => client.Check({ service: 'n'.repeat(51) }, (e) => resolve(e)));
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toBe('health service name is 51 characters long; at most 50');
    expect(await firstWord(open(client, 'n'.repeat(51)))).toBe('INVALID_ARGUMENT');
    expect(await firstWord(open(client, 'n'.repeat(50)))).toBe('SERVICE_UNKNOWN');
    expect(health.watchCount).toBe(1);
  });

  it('caps Watch streams per connection and per process, and frees a slot when a stream ends', async () => {
    const first = connect();
    const held = [open(first), open(first), open(first)];
    for (const stream of held) expect(await firstWord(stream)).toBe('SERVING');
    expect(await firstWord(open(first))).toBe('RESOURCE_EXHAUSTED');

    const second = connect();
    expect(await firstWord(open(second))).toBe('SERVING');
    expect(await firstWord(open(second))).toBe('SERVING');
    expect(await firstWord(open(connect()))).toBe('RESOURCE_EXHAUSTED'); // 5 open in the process
    expect(health.watchCount).toBe(5);

    held[0].cancel();
    await waitUntil(() => health.watchCount === 4, { timeoutMs: 5000, message: 'the cancelled Watch was never released' });
    expect(await firstWord(open(first))).toBe('SERVING');
  });

  it('validates the limits, naming the bad value', () => {
    expect(resolveHealthLimits(undefined)).toEqual(DEFAULT_HEALTH_LIMITS);
    let error: unknown;
    try {
      resolveHealthLimits({ maxWatches: 0 });
    } catch (e) {
      error = e;
    }
    expect(isInvalidOptionsError(error)).toBe(true);
    expect((error as Error).message).toContain('healthLimits.maxWatches');
  });
});
