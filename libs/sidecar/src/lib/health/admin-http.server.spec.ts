import { request } from 'node:http';
import { SidecarMetrics } from '../telemetry/metrics';
import { AdminHandlers } from './admin-handlers';
import { AdminHttpServer } from './admin-http.server';
import { Readiness } from './readiness';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(port: number, method: string, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('AdminHttpServer (real HTTP)', () => {
  let admin: AdminHttpServer;
  let readiness: Readiness;
  let metrics: SidecarMetrics;
  let redisUp: boolean;
  let port: number;

  beforeEach(async () => {
    redisUp = true;
    readiness = new Readiness();
    readiness.addCheck('redis', () => redisUp);
    metrics = new SidecarMetrics({ service: 'likes', instance: 'likes-1' });
    admin = new AdminHttpServer({ port: 0, metrics, readiness, snapshot: () => ({ inFlight: 3, state: 'serving' }) });
    ({ port } = await admin.start());
  });

  afterEach(async () => {
    await admin.shutdown();
    readiness.shutdown();
  });

  it('GET /livez → 200 {status:"ok"}', async () => {
    const reply = await http(port, 'GET', '/livez');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(reply.body)).toEqual({ status: 'ok' });
  });

  it('GET /readyz → 503 before start and with a failing check (named), 200 when ready', async () => {
    let reply = await http(port, 'GET', '/readyz');
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body)).toMatchObject({ status: 'not_ready', ready: false, failing: ['started', 'redis'] });
    await readiness.markStarted();
    reply = await http(port, 'GET', '/readyz');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ status: 'ready', ready: true, failing: [] });
    redisUp = false;
    await readiness.evaluate();
    reply = await http(port, 'GET', '/readyz?verbose=1');
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body)).toMatchObject({ ready: false, failing: ['redis'], checks: { redis: { ok: false, error: 'check "redis" returned false' } } });
    readiness.markDraining();
    redisUp = true;
    await readiness.evaluate();
    expect(JSON.parse((await http(port, 'GET', '/readyz')).body)).toMatchObject({ ready: false, draining: true, failing: ['draining'] });
  });

  it('GET /metrics → Prometheus text with the recorded series', async () => {
    metrics.serverCall('Like', 0, 0.002);
    const reply = await http(port, 'GET', '/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toContain('text/plain');
    expect(reply.body).toContain('failsoft_server_calls_total{method="Like",code="OK"} 1');
  });

  it('GET /snapshot → the provider value as JSON', async () => {
    const reply = await http(port, 'GET', '/snapshot');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ inFlight: 3, state: 'serving' });
  });

  it('unknown path → 404 JSON, wrong method → 405 JSON with Allow', async () => {
    const missing = await http(port, 'GET', '/nope');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ error: { code: 'NOT_FOUND', message: 'no endpoint "/nope"; try /livez, /readyz, /metrics, /snapshot' } });
    const wrong = await http(port, 'POST', '/livez');
    expect(wrong.status).toBe(405);
    expect(wrong.headers['allow']).toBe('GET, HEAD');
    expect(JSON.parse(wrong.body)).toEqual({ error: { code: 'METHOD_NOT_ALLOWED', message: '/livez accepts GET only; got POST' } });
  });

  it('answers 500 JSON when the snapshot provider throws', async () => {
    const handlers = new AdminHandlers({ metrics, readiness, snapshot: () => { throw new Error('not yet'); } });
    const reply = await handlers.handle('GET', '/snapshot');
    expect(reply.status).toBe(500);
    expect(JSON.parse(reply.body)).toEqual({ error: { code: 'INTERNAL', message: '/snapshot failed: not yet' } });
  });

  it('answers 404 for /snapshot when no provider is configured', async () => {
    const handlers = new AdminHandlers({ metrics, readiness });
    expect((await handlers.handle('GET', '/snapshot')).status).toBe(404);
    expect(JSON.parse((await handlers.handle('GET', '/x')).body).error.message).toBe('no endpoint "/x"; try /livez, /readyz, /metrics');
  });

  it('rejects bad options', () => {
    expect(() => new AdminHttpServer({ port: -1, metrics, readiness })).toThrow('admin.port must be an integer from 0 to 65535; got -1');
    expect(() => new AdminHttpServer({ port: 0, metrics: {} as never, readiness })).toThrow(
      'admin.metrics must have a metrics(): Promise<string> method (a SidecarMetrics or prom-client Registry); got {}',
    );
  });
});
