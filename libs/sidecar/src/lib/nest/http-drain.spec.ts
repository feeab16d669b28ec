import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitUntil } from '@failsoft/testing';
import { InvalidOptionsError } from '../core/sidecar.error';
import { HttpDrain } from './http-drain';

/** A real HTTP server whose `/slow` requests are answered only when the test says so. */
async function startServer(): Promise<{ server: Server; port: number; pending: ServerResponse[] }> {
  const pending: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/slow') pending.push(res);
    else res.end('fast');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, pending };
}

/** GET on a keep-alive agent: status, `connection` header and body, or the error code. */
function get(port: number, path: string, agent: Agent): Promise<{ status: number; connection: string | undefined; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

describe('HttpDrain', () => {
  let agent: Agent;
  const servers: Server[] = [];

  beforeEach(() => {
    agent = new Agent({ keepAlive: true });
  });

  afterEach(async () => {
    agent.destroy();
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('keeps serving while draining, with Connection: close on every response', async () => {
    const { server, port } = await startServer();
    servers.push(server);
    const drain = new HttpDrain(server);
    expect(await get(port, '/fast', agent)).toEqual({ status: 200, connection: 'keep-alive', body: 'fast' });
    drain.beginDrain();
    expect(drain.isDraining).toBe(true);
    expect(await get(port, '/fast', agent)).toEqual({ status: 200, connection: 'close', body: 'fast' });
  });

  it('close(): refuses new connections, waits for the request in flight, then resolves', async () => {
    const { server, port, pending } = await startServer();
    servers.push(server);
    const drain = new HttpDrain(server);
    expect(await get(port, '/fast', agent)).toMatchObject({ status: 200 }); // leaves an idle keep-alive connection
    const slow = get(port, '/slow', new Agent({ keepAlive: true }));
    await waitUntil(() => pending.length === 1, { timeoutMs: 5000, message: 'the slow request to reach the server' });
    expect(drain.inFlight).toBe(1);

    let closed = false;
    const closing = drain.close(30_000).then((result) => {
      closed = true;
      return result;
    });
    expect(drain.close(30_000)).toBe(drain.close(30_000)); // idempotent: the same promise
    await waitUntil(async () => 'error' in (await get(port, '/fast', new Agent())), { timeoutMs: 5000, message: 'the server to refuse new connections' });
    expect(closed).toBe(false); // still waiting for the slow request
    pending[0].end('slow done');
    expect(await slow).toEqual({ status: 200, connection: 'close', body: 'slow done' });
    expect(await closing).toMatchObject({ graceful: true, inFlightAtClose: 1, cut: 0 });
    expect(server.listening).toBe(false);
  });

  it('close(): cuts the requests still running at the bound', async () => {
    const { server, port, pending } = await startServer();
    servers.push(server);
    const drain = new HttpDrain(server);
    const slow = get(port, '/slow', agent);
    await waitUntil(() => pending.length === 1, { timeoutMs: 5000, message: 'the slow request to reach the server' });
    const result = await drain.close(50);
    expect(result).toMatchObject({ graceful: false, inFlightAtClose: 1, cut: 1 });
    expect(await slow).toHaveProperty('error');
  });

  it('close() on a server that is not listening resolves at once', async () => {
    const server = createServer();
    expect(await new HttpDrain(server).close(1000)).toMatchObject({ graceful: true, inFlightAtClose: 0, cut: 0 });
  });

  it('rejects what is not an HTTP server, and a bad timeout, naming the value', () => {
    expect(() => new HttpDrain({} as Server)).toThrow(InvalidOptionsError);
    expect(() => new HttpDrain(null as unknown as Server)).toThrow(/Node http.Server .*got null/);
    expect(() => new HttpDrain(createServer()).close(-1)).toThrow(/http drain timeoutMs must be a number >= 0; got -1/);
  });
});
