import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getFreePort } from '@failsoft/testing';
import { notReadyReason, probe, waitForReady } from './readiness';

/** A tiny HTTP service whose /livez and /readyz answer what the test says; `hits` counts requests by path, `onHit` sees each. */
async function service(
  routes: Record<string, number>,
  onHit?: (path: string, hits: Record<string, number>) => void,
): Promise<{ url: string; server: Server; routes: Record<string, number>; hits: Record<string, number> }> {
  const hits: Record<string, number> = {};
  const server = createServer((req, res) => {
    hits[req.url ?? ''] = (hits[req.url ?? ''] ?? 0) + 1;
    onHit?.(req.url ?? '', hits);
    const status = routes[req.url ?? ''] ?? 404;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(status === 200 ? { status: 'ok' } : { status: 'not ready', failing: ['redis'] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, routes, hits };
}

describe('readiness wait', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('reports each instance as it gets ready, in order, and the ones that never do with the reason and log file', async () => {
    const ready = await service({ '/livez': 200, '/readyz': 200 });
    // not ready at its first probe, ready from its second (an order of events, not a time)
    const late = await service({ '/livez': 200, '/readyz': 503 }, (path, hits) => {
      if (path === '/readyz' && hits['/readyz'] === 2) late.routes['/readyz'] = 200;
    });
    const noReadyz = await service({ '/livez': 200 });
    servers.push(ready.server, late.server, noReadyz.server);
    const down = `http://127.0.0.1:${await getFreePort()}`;
    const events: string[] = [];
    const result = await waitForReady(
      [
        { id: 'likes-1', baseUrl: ready.url, logFile: '.failsoft/logs/likes-1.log' },
        { id: 'likes-2', baseUrl: late.url, logFile: '.failsoft/logs/likes-2.log' },
        { id: 'feed-1', baseUrl: noReadyz.url, logFile: '.failsoft/logs/feed-1.log' },
        { id: 'feed-2', baseUrl: down, logFile: '.failsoft/logs/feed-2.log' },
        { id: 'gateway-1', baseUrl: down, logFile: '.failsoft/logs/gateway-1.log', failure: () => 'exited with code 78 (configuration error); not restarted' },
      ],
      { timeoutMs: 1500, intervalMs: 50, onReady: (t, n, total) => events.push(`[${n}/${total}] ${t.id}`) },
    );
    // bounded: it gave up after timeoutMs; rounds are at least intervalMs apart, so at most 1500 / 50 + 1 of them
    expect(noReadyz.hits['/livez']).toBeGreaterThanOrEqual(3);
    expect(noReadyz.hits['/livez']).toBeLessThanOrEqual(1500 / 50 + 1);
    expect(late.hits['/readyz']).toBe(2); // 503, then 200; not probed again once ready
    expect(ready.hits['/readyz']).toBe(1);
    expect(events).toEqual(['[1/5] likes-1', '[2/5] likes-2']);
    expect(result.ready).toEqual(['likes-1', 'likes-2']);
    expect(result.notReady).toEqual([
      { id: 'gateway-1', logFile: '.failsoft/logs/gateway-1.log', reason: 'exited with code 78 (configuration error); not restarted' },
      { id: 'feed-1', logFile: '.failsoft/logs/feed-1.log', reason: 'GET /livez is 200 but /readyz is 404 (no readiness endpoint yet?)' },
      { id: 'feed-2', logFile: '.failsoft/logs/feed-2.log', reason: 'not answering on its HTTP port (ECONNREFUSED)' },
    ]);
  }, 10_000);

  it('explains a 503 with its body', () => {
    expect(notReadyReason({ status: 200, error: undefined, body: '' }, { status: 503, error: undefined, body: '{"failing":["redis"]}' })).toBe(
      'GET /livez is 200 but /readyz is 503: {"failing":["redis"]}',
    );
  });

  it('probe never throws', async () => {
    const result = await probe(`http://127.0.0.1:${await getFreePort()}/livez`, 200);
    expect(result.status).toBeUndefined();
    expect(result.error).toBe('ECONNREFUSED');
  });
});
