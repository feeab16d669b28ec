import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort, isPaused, Supervisor, waitUntil } from '@failsoft/local-runtime';
import { findHaproxy, haproxyConfig } from './haproxy';
import { apiRequest } from './load/api-client';
import { FrontDoorWatchdog } from './local-platform/front-door-watchdog';

/**
 * The answer to a hung front door with `npm start`: two real HAProxy processes share the port
 * under a real Supervisor, one is SIGSTOPped while clients keep sending; the watchdog SIGKILLs it
 * (the kernel would otherwise keep queueing connections to it), the supervisor starts a fresh one,
 * and every request is answered (a request whose connection the killed process held is reset and
 * sent again, as a browser does).
 */
describe('a hung front door (real haproxy pair, SIGSTOP, watchdog)', () => {
  let gateway: Server;
  let supervisor: Supervisor;
  let watchdog: FrontDoorWatchdog | undefined;
  let dir = '';

  beforeAll(async () => {
    gateway = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(req.url === '/readyz' ? '{"status":"ok"}' : '{"items":[]}');
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    watchdog?.shutdown();
    supervisor?.killAllNow();
    await new Promise((resolve) => gateway.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is replaced, and no request fails', async () => {
    const haproxy = findHaproxy();
    if (!haproxy) throw new Error('haproxy is not installed, and this check needs it (it is the front door of `npm start`): sudo apt-get install haproxy, or set HAPROXY_BIN');
    const gateways = [{ id: 'gateway-1', host: '127.0.0.1', port: (gateway.address() as AddressInfo).port }];
    const frontDoorPort = await getFreePort();
    dir = mkdtempSync(join(tmpdir(), 'failsoft-cli-front-door-hang-'));
    supervisor = new Supervisor({ initialBackoffMs: 100, maxBackoffMs: 400, log: () => undefined });
    const doors: Array<{ id: string; healthUrl: string }> = [];
    for (const n of [1, 2]) {
      const statsPort = await getFreePort();
      const file = join(dir, `haproxy-${n}.cfg`);
      writeFileSync(file, haproxyConfig({ frontDoorPort, statsPort, gateways, name: `haproxy-${n}` }));
      supervisor.start({ id: `haproxy-${n}`, command: haproxy, args: ['-f', file, '-db'] });
      doors.push({ id: `haproxy-${n}`, healthUrl: `http://127.0.0.1:${statsPort}/healthz` });
    }
    const url = `http://127.0.0.1:${frontDoorPort}/api/feed`;
    await waitUntil(async () => (await apiRequest(url, { timeoutMs: 1000 })).status === 200 && (await Promise.all(doors.map((d) => fetch(d.healthUrl).then((r) => r.ok, () => false)))).every(Boolean), {
      timeoutMs: 20_000,
      intervalMs: 100,
      message: 'both haproxy processes to serve',
    });
    const lines: string[] = [];
    watchdog = new FrontDoorWatchdog(supervisor, () => doors, { log: (line) => lines.push(line) });
    watchdog.start();

    // four clients, each request after the last (kept-alive connections to both processes)
    const statuses: number[] = [];
    let resent = 0;
    let running = true;
    const client = async (): Promise<void> => {
      while (running) {
        const call = await apiRequest(url, { timeoutMs: 10_000 });
        statuses.push(call.status);
        if (call.resent) resent += 1;
      }
    };
    const clients = [client(), client(), client(), client()];
    await waitUntil(() => statuses.length >= 40, { timeoutMs: 20_000, intervalMs: 10, message: '40 requests before the hang' });
    const hung = supervisor.status('haproxy-1')?.pid as number;
    supervisor.kill('haproxy-1', 'SIGSTOP');
    await waitUntil(() => isPaused(hung), { timeoutMs: 5000, message: 'haproxy-1 to be stopped' });
    const atHang = statuses.length;
    await waitUntil(() => supervisor.status('haproxy-1')?.state === 'running' && supervisor.status('haproxy-1')?.pid !== hung, { timeoutMs: 15_000, intervalMs: 20, message: 'the watchdog to replace haproxy-1' });
    await waitUntil(() => statuses.length >= atHang + 100, { timeoutMs: 30_000, intervalMs: 10, message: '100 requests after the hang' });
    running = false;
    await Promise.all(clients);

    expect(watchdog.replacements).toBe(1);
    expect(lines).toEqual([expect.stringMatching(/haproxy-1 \(pid \d+\) did not answer .*hung; SIGKILL/)]);
    const failed = statuses.filter((s) => s !== 200);
    expect({ requests: statuses.length, failed }).toEqual({ requests: statuses.length, failed: [] });
    console.log(`front door hang: ${statuses.length} requests, ${resent} resent after a reset, 0 failed`);
  }, 90_000);
});
