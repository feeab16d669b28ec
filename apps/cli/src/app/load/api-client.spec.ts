import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getFreePort } from '@failsoft/local-runtime';
import { apiRequest, MAX_RESENDS } from './api-client';

/** A real server whose handler decides per request number (1-based). */
async function serve(handle: (n: number, destroy: () => void, answer: () => void) => void): Promise<{ url: string; server: Server; count: () => number }> {
  let n = 0;
  const server = createServer((req, res) => {
    n += 1;
    req.resume();
    handle(
      n,
      () => req.socket.destroy(),
      () => res.end('{"ok":true}'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, server, count: () => n };
}

describe('apiRequest: resends after a reset connection, as a browser does', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('sends a request whose connection was reset before any answer again, and says so', async () => {
    const s = await serve((n, destroy, answer) => (n === 1 ? destroy() : answer()));
    servers.push(s.server);
    const call = await apiRequest(s.url, { method: 'POST', body: 'x', timeoutMs: 5000 });
    expect({ status: call.status, resent: call.resent, json: call.json }).toEqual({ status: 200, resent: true, json: undefined });
    expect(s.count()).toBe(2);
  });

  it(`resends at most ${MAX_RESENDS} times: the last reset is the answer (status 0, the cause kept)`, async () => {
    const s = await serve((_n, destroy) => destroy());
    servers.push(s.server);
    const call = await apiRequest(s.url, { timeoutMs: 5000 });
    expect({ status: call.status, resent: call.resent, error: call.error }).toEqual({ status: 0, resent: true, error: expect.stringMatching(/UND_ERR_SOCKET|ECONNRESET|other side closed/) });
    expect(s.count()).toBe(1 + MAX_RESENDS);
  });

  it('never resends a refused connection (nobody listens) nor a timeout', async () => {
    const refused = await apiRequest(`http://127.0.0.1:${await getFreePort()}/x`, { timeoutMs: 5000 });
    expect({ status: refused.status, error: refused.error, resent: refused.resent }).toEqual({ status: 0, error: 'ECONNREFUSED', resent: undefined });
    const s = await serve(() => undefined); // never answers
    servers.push(s.server);
    const slow = await apiRequest(s.url, { timeoutMs: 300 });
    expect({ status: slow.status, error: slow.error, resent: slow.resent }).toEqual({ status: 0, error: 'timeout', resent: undefined });
    expect(s.count()).toBe(1);
    s.server.closeAllConnections();
  });
});
