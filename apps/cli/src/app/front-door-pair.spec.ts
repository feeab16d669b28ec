import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort, waitUntil } from '@failsoft/local-runtime';
import { findHaproxy, haproxyConfig } from './haproxy';

/** `stot` (connections accepted so far) of frontend `failsoft` in a stats CSV. */
function accepted(csv: string): number {
  const row = csv.split('\n').map((l) => l.split(',')).find((cols) => cols[0] === 'failsoft' && cols[1] === 'FRONTEND');
  return Number(row?.[7] ?? Number.NaN);
}

/**
 * The front door of `npm start` is two HAProxy processes bound to one port: HAProxy sets
 * SO_REUSEPORT on Linux, so the kernel spreads new connections over both, and when one dies the
 * other keeps accepting. Real haproxy, the generated config, real signals.
 */
describe('front door pair: two haproxy processes on one port (SO_REUSEPORT)', () => {
  let gateway: Server;
  const children: ChildProcess[] = [];
  const statsUrls: string[] = [];
  let frontDoor = '';
  let dir = '';

  beforeAll(async () => {
    const haproxy = findHaproxy();
    if (!haproxy) throw new Error('haproxy is not installed, and this check needs it (it is the front door of `npm start`): sudo apt-get install haproxy, or set HAPROXY_BIN');
    gateway = createServer((req, res) => res.end(req.url === '/readyz' ? '{"status":"ok"}' : '{"gateway":"gateway-1"}'));
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    const gateways = [{ id: 'gateway-1', host: '127.0.0.1', port: (gateway.address() as AddressInfo).port }];
    const frontDoorPort = await getFreePort();
    frontDoor = `http://127.0.0.1:${frontDoorPort}`;
    dir = mkdtempSync(join(tmpdir(), 'failsoft-cli-front-door-pair-'));
    for (const n of [1, 2]) {
      const statsPort = await getFreePort();
      const file = join(dir, `haproxy-${n}.cfg`);
      writeFileSync(file, haproxyConfig({ frontDoorPort, statsPort, gateways, name: `haproxy-${n}` }));
      children.push(spawn(haproxy, ['-f', file, '-db'], { stdio: 'ignore' }));
      statsUrls.push(`http://127.0.0.1:${statsPort}/`);
    }
    await waitUntil(async () => (await Promise.all(statsUrls.map((u) => fetch(`${u}healthz`).then((r) => r.ok, () => false)))).every(Boolean), { timeoutMs: 20_000, intervalMs: 100, message: 'both haproxy processes to answer /healthz' });
    await waitUntil(async () => (await fetch(`${frontDoor}/readyz`).catch(() => undefined))?.status === 200, { timeoutMs: 20_000, intervalMs: 100, message: 'the front door to see the gateway up' });
  }, 60_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await new Promise((resolve) => gateway.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const stats = async (): Promise<number[]> => Promise.all(statsUrls.map(async (u) => accepted(await (await fetch(`${u};csv`)).text())));

  it('both processes accept connections on the shared port', async () => {
    const before = await stats();
    // new connections (no keep-alive) until each process took some: the kernel spreads them
    await waitUntil(
      async () => {
        await fetch(`${frontDoor}/api/feed`, { headers: { connection: 'close' } });
        const now = await stats();
        return now.every((n, i) => n > before[i]);
      },
      { timeoutMs: 20_000, intervalMs: 1, message: 'both haproxy processes to accept a connection' },
    );
  });

  it('when one is SIGKILLed, every new connection is accepted by the other', async () => {
    const [first] = children;
    const gone = new Promise((resolve) => first.once('exit', resolve));
    first.kill('SIGKILL');
    await gone;
    const survivor = accepted(await (await fetch(`${statsUrls[1]};csv`)).text());
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await fetch(`${frontDoor}/api/feed`, { headers: { connection: 'close' } })).status);
    expect(statuses).toEqual(Array(40).fill(200));
    // the first may ride a keep-alive connection opened before (to the survivor: the other is gone)
    expect(accepted(await (await fetch(`${statsUrls[1]};csv`)).text())).toBeGreaterThanOrEqual(survivor + 39);
  });
});
