import * as grpc from '@grpc/grpc-js';
import { loadEcho, type EchoReply, type EchoRequest } from '../../../test/fixtures/load-echo';
import { startUnaryCall } from './unary-call';

describe('startUnaryCall (real grpc-js server on loopback)', () => {
  const { definition } = loadEcho();
  const echo = definition['Echo'] as grpc.MethodDefinition<unknown, unknown>;
  let server: grpc.Server;
  let client: grpc.Client;
  let release: (() => void) | undefined;

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(definition, {
      Echo: (call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, callback: grpc.sendUnaryData<EchoReply>) => {
        const message = call.request.message ?? '';
        if (message === 'fail') {
          const metadata = new grpc.Metadata();
          metadata.set('x-why', 'asked to');
          callback({ code: grpc.status.FAILED_PRECONDITION, details: 'asked to fail', metadata });
        } else if (message === 'hang') {
          release = () => callback(null, { message } as EchoReply);
        } else {
          callback(null, { message: `echo ${message}` } as EchoReply);
        }
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  const call = (request: unknown, method = echo, deadline = Date.now() + 5000) =>
    new Promise<{ error: grpc.ServiceError | null; response?: unknown }>((resolve) => {
      startUnaryCall(client, method, request, new grpc.Metadata(), deadline, (error, response) => resolve({ error, response }));
    });

  it('answers like makeUnaryRequest, without writing Error.stackTraceLimit (no global touched)', async () => {
    const own = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit') as PropertyDescriptor;
    let limit = Error.stackTraceLimit;
    const writes: number[] = [];
    Object.defineProperty(Error, 'stackTraceLimit', {
      configurable: true,
      get: () => limit,
      set: (value: number) => {
        writes.push(value);
        limit = value;
      },
    });
    try {
      const { error, response } = await call({ message: 'hi' });
      expect(error).toBeNull();
      expect(response).toMatchObject({ message: 'echo hi' });
    } finally {
      Object.defineProperty(Error, 'stackTraceLimit', own);
    }
    expect(writes).toEqual([]);
  });

  it('reports a failed call as a grpc-js ServiceError (code, details, metadata, message) with no caller stack', async () => {
    const { error } = await call({ message: 'fail' });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, details: 'asked to fail', message: '9 FAILED_PRECONDITION: asked to fail' });
    expect(error?.metadata.get('x-why')).toEqual(['asked to']);
    expect(error?.stack).not.toContain('for call at');
  });

  it('a response that cannot be parsed fails with INTERNAL, as grpc-js does', async () => {
    const broken = { ...echo, responseDeserialize: () => { throw new Error('bad bytes'); } };
    const { error } = await call({ message: 'hi' }, broken);
    expect(error).toMatchObject({ code: grpc.status.INTERNAL, details: 'Response message parsing error: bad bytes' });
  });

  it('a request that cannot be serialised fails with INTERNAL and sends nothing', async () => {
    const broken = { ...echo, requestSerialize: () => { throw new Error('not serialisable'); } };
    const { error } = await call({ message: 'hi' }, broken);
    expect(error).toMatchObject({ code: grpc.status.INTERNAL, details: 'Request message serialization failure: not serialisable' });
  });

  it('cancel() ends the call with CANCELLED; the deadline ends it with DEADLINE_EXCEEDED', async () => {
    const cancelled = new Promise<grpc.ServiceError | null>((resolve) => {
      const started = startUnaryCall(client, echo, { message: 'hang' }, new grpc.Metadata(), Infinity, (error) => resolve(error));
      started.cancel();
    });
    expect(await cancelled).toMatchObject({ code: grpc.status.CANCELLED, details: 'Cancelled on client' });
    const { error } = await call({ message: 'hang' }, echo, Date.now() + 50);
    expect(error).toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    release?.();
  });
});
