import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort, waitUntil } from '@failsoft/testing';
import { checkHaproxyConfig, findHaproxy, haproxyConfig, missingHaproxyWarning } from './haproxy';

const input = {
  frontDoorPort: 8080,
  statsPort: 40100,
  gateways: [
    { id: 'gateway-1', host: '127.0.0.1', port: 40001 },
    { id: 'gateway-2', host: '127.0.0.1', port: 40002 },
  ],
};

describe('haproxy front door config', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'failsoft-cli-haproxy-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has a frontend on the front door port and both gateways health-checked on /readyz', () => {
    const config = haproxyConfig(input);
    expect(config).toContain('bind 127.0.0.1:8080');
    expect(config).toContain('option httpchk GET /readyz');
    expect(config).toContain('default-server inter 500 fall 2 rise 2');
    expect(config).toContain('server gateway-1 127.0.0.1:40001 check');
    expect(config).toContain('server gateway-2 127.0.0.1:40002 check');
  });

  it('retries failed requests on the other gateway so killing one is invisible', () => {
    const config = haproxyConfig(input);
    expect(config).toMatch(/^\s+retry-on conn-failure empty-response response-timeout 503$/m);
    expect(config).toMatch(/^\s+option redispatch 1$/m);
    expect(config).toMatch(/^\s+retries 2$/m);
  });

  it('gives every request one id, over any the client sent, kept on retries (the gateways count a retried write once)', () => {
    const config = haproxyConfig(input);
    const frontend = config.slice(config.indexOf('frontend failsoft'), config.indexOf('backend gateways'));
    expect(frontend).toMatch(/^\s+unique-id-format %\{\+X\}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid$/m);
    expect(frontend).toMatch(/^\s+http-request set-header X-Request-Id %\[unique-id\]$/m);
  });

  it('bounds the wait on a hung gateway by the gateway deadlines, and repeats a post only with an Idempotency-Key', () => {
    const config = haproxyConfig(input);
    expect(config).toMatch(/^\s+timeout server 10s$/m);
    expect(config).toMatch(/^\s+option http-buffer-request$/m);
    expect(config).toMatch(/^\s+http-request set-timeout server 3s if METH_GET !\{ path_end \/image \}$/m);
    expect(config).toMatch(/^\s+http-request set-timeout server 4s if \{ path_end \/likes \}$/m);
    expect(config).toMatch(/^\s+http-request disable-l7-retry if METH_POST \{ path \/api\/posts \} !\{ req.hdr\(idempotency-key\) -m found \}$/m);
  });

  it('answers a JSON 503 with Retry-After when no gateway is ready, and serves a stats page', () => {
    const config = haproxyConfig(input);
    expect(config).toMatch(/http-error status 503 content-type application\/json hdr Retry-After 1 string '\{"error":\{"code":"NO_GATEWAY"/);
    expect(config).toContain('bind 127.0.0.1:40100');
    expect(haproxyConfig({ ...input, statsPort: undefined })).not.toContain('stats enable');
  });

  it('rejects bad input naming it', () => {
    expect(() => haproxyConfig({ ...input, frontDoorPort: 0 })).toThrow(/frontDoorPort must be a port from 1 to 65535; got 0/);
    expect(() => haproxyConfig({ ...input, gateways: [] })).toThrow(/at least one gateway/);
    expect(() => haproxyConfig({ ...input, gateways: [{ id: 'bad id', host: '127.0.0.1', port: 1 }] })).toThrow(/gateway id/);
  });

  // never skipped: `npm start`'s front door is HAProxy, and .ci/run installs it
  it('is accepted by `haproxy -c -f` (haproxy is required)', () => {
    const haproxy = findHaproxy();
    if (!haproxy) throw new Error('haproxy is not installed, and this check needs it (it is the front door of `npm start`): sudo apt-get install haproxy, or set HAPROXY_BIN');
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, haproxyConfig(input));
    const result = checkHaproxyConfig(haproxy, file);
    expect(result.output).toMatch(/valid/i);
    expect(result.ok).toBe(true);
  });

  it('finds haproxy on the search path, honours HAPROXY_BIN, and reports none when absent', () => {
    const fake = join(dir, 'haproxy');
    writeFileSync(fake, '#!/bin/sh\n');
    chmodSync(fake, 0o755);
    expect(findHaproxy(dir, undefined)).toBe(fake);
    expect(findHaproxy('/nonexistent', fake)).toBe(fake);
    expect(findHaproxy(dir, '')).toBeUndefined(); // HAPROXY_BIN= disables it
    expect(findHaproxy(dir, join(dir, 'missing'))).toBeUndefined();
  });

  it('explains the fallback when haproxy is missing: install command and no failover', () => {
    const warning = missingHaproxyWarning('http://127.0.0.1:40001');
    expect(warning).toContain('sudo apt-get install haproxy');
    expect(warning).toContain('http://127.0.0.1:40001');
    expect(warning).toMatch(/no failover between gateways/);
  });
});

/**
 * The retry rules, shown with a real HAProxy running the generated config in front of two small
 * gateways that drop every POST /api/posts without answering (an empty response, as a gateway
 * killed mid-request): a post without an Idempotency-Key reaches one gateway once and is never
 * repeated; one with a key is retried on the other gateway.
 */
describe('haproxy front door retries (real haproxy, generated config)', () => {
  const servers: Server[] = [];
  let child: ChildProcess | undefined;
  let frontDoor = '';
  const posts: Record<string, Array<string | undefined>> = { 'gateway-1': [], 'gateway-2': [] };

  async function gateway(id: string): Promise<number> {
    const server = createServer((req, res) => {
      if (req.url === '/readyz') return void res.end('{"status":"ok"}');
      if (req.method === 'POST' && req.url === '/api/posts') {
        posts[id].push(req.headers['idempotency-key'] as string | undefined);
        req.resume();
        req.on('end', () => req.socket.destroy()); // read the body, answer nothing
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ gateway: id }));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  beforeAll(async () => {
    const haproxy = findHaproxy();
    if (!haproxy) throw new Error('haproxy is not installed, and this check needs it (it is the front door of `npm start`): sudo apt-get install haproxy, or set HAPROXY_BIN');
    const gateways = [
      { id: 'gateway-1', host: '127.0.0.1', port: await gateway('gateway-1') },
      { id: 'gateway-2', host: '127.0.0.1', port: await gateway('gateway-2') },
    ];
    const frontDoorPort = await getFreePort();
    const dir = mkdtempSync(join(tmpdir(), 'failsoft-cli-haproxy-run-'));
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, haproxyConfig({ frontDoorPort, gateways }));
    child = spawn(haproxy, ['-f', file, '-db'], { stdio: 'ignore' });
    frontDoor = `http://127.0.0.1:${frontDoorPort}`;
    // both gateways UP behind it: GETs answered by each (health checks: rise 2)
    const seen = new Set<string>();
    await waitUntil(
      async () => {
        const res = await fetch(`${frontDoor}/api/feed`).catch(() => undefined);
        if (res?.status === 200) seen.add(((await res.json()) as { gateway: string }).gateway);
        return seen.size === 2;
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'haproxy to route to both gateways' },
    );
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  const post = (headers: Record<string, string>): Promise<number> => {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' }), 'a.png');
    // every attempt ends without an answer: HAProxy then answers 502, or closes too (status 0)
    return fetch(`${frontDoor}/api/posts`, { method: 'POST', headers, body: form }).then(
      (res) => res.status,
      () => 0,
    );
  };

  it('never repeats a post without an Idempotency-Key: one gateway gets it once', async () => {
    const status = await post({});
    expect([0, 502, 503]).toContain(status);
    expect([...posts['gateway-1'], ...posts['gateway-2']]).toEqual([undefined]);
  });

  it("keeps the gateways' admin endpoints inside: 404 JSON for /metrics and /snapshot (any case, extra slashes); its own /readyz", async () => {
    for (const path of ['/metrics', '/snapshot', '/METRICS', '//snapshot/', '/metrics?x=1']) {
      const res = await fetch(`${frontDoor}${path}`);
      expect({ path, status: res.status, body: await res.json() }).toEqual({ path, status: 404, body: { error: { code: 'NO_ROUTE', message: expect.stringMatching(/not served through the front door/) } } });
    }
    const ready = await fetch(`${frontDoor}/readyz`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { status: 'ok' } });
    // everything else still reaches a gateway (negative control)
    expect(((await (await fetch(`${frontDoor}/metricsx`)).json()) as { gateway?: string }).gateway).toMatch(/^gateway-[12]$/);
  });

  it('retries a post with an Idempotency-Key on the other gateway (negative control: the retry rule is live)', async () => {
    posts['gateway-1'].length = 0;
    posts['gateway-2'].length = 0;
    await post({ 'idempotency-key': 'k-1' });
    // the first attempt and at least one retry, the retry on the other gateway (option redispatch)
    expect(posts['gateway-1'].length + posts['gateway-2'].length).toBeGreaterThanOrEqual(2);
    expect(posts['gateway-1'].length).toBeGreaterThanOrEqual(1);
    expect(posts['gateway-2'].length).toBeGreaterThanOrEqual(1);
    expect(new Set([...posts['gateway-1'], ...posts['gateway-2']])).toEqual(new Set(['k-1']));
  });
});
