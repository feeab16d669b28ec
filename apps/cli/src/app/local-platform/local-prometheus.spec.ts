import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Supervisor, waitUntil } from '@failsoft/local-runtime';
import { findPrometheus, LocalPrometheus, PROMETHEUS_ID } from './local-prometheus';

jest.setTimeout(60_000);

describe('findPrometheus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'find-prometheus-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds prometheus on the PATH, honours PROMETHEUS_BIN and FAILSOFT_PROMETHEUS=off', () => {
    const bin = join(dir, 'prometheus');
    writeFileSync(bin, '#!/bin/sh\n');
    chmodSync(bin, 0o755);
    expect(findPrometheus({ PATH: `/nonexistent:${dir}` })).toBe(bin);
    expect(findPrometheus({ PATH: '/nonexistent' })).toBeUndefined();
    expect(findPrometheus({ PATH: dir, FAILSOFT_PROMETHEUS: 'off' })).toBeUndefined();
    expect(findPrometheus({ PATH: '', PROMETHEUS_BIN: bin })).toBe(bin);
    expect(findPrometheus({ PATH: dir, PROMETHEUS_BIN: join(dir, 'missing') })).toBeUndefined();
  });
});

describe('LocalPrometheus (Debian prometheus)', () => {
  const binary = findPrometheus();
  const dir = mkdtempSync(join(tmpdir(), 'local-prometheus-'));
  const supervisor = new Supervisor({ log: () => undefined });
  const servers: Server[] = [];

  /** A /metrics endpoint like an instance's. */
  async function exporter(): Promise<string> {
    const server = createServer((_req, res) => res.end('# TYPE failsoft_sidecar_info gauge\nfailsoft_sidecar_info 1\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  afterAll(async () => {
    await supervisor.stopAll({ timeoutMs: 5000 });
    for (const s of servers) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes the targets of its file_sd file, labelled with the instance id, and picks up a rewritten file', async () => {
    if (binary === undefined) throw new Error('no prometheus binary on the PATH: install the Debian package prometheus (apt-get install prometheus); .ci/run does');
    const prom = new LocalPrometheus({ supervisor, dir, logs: join(dir, 'logs'), scrapeIntervalS: 1, say: () => undefined });
    const first = await exporter();
    await prom.start(binary, [{ id: 'likes-1', service: 'likes', zone: 'zone-a', address: first }]);
    expect(prom.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(readFileSync(join(dir, 'prometheus.yml'), 'utf8')).toContain('honor_labels: true');
    const up = async (): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> =>
      ((await (await fetch(`${prom.url}/api/v1/query?query=up`)).json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
    await waitUntil(async () => (await up()).some((r) => r.metric['instance'] === 'likes-1' && r.value[1] === '1'), { timeoutMs: 20_000, message: 'likes-1 up in Prometheus' });
    const [series] = await up();
    expect(series.metric).toMatchObject({ instance: 'likes-1', instance_id: 'likes-1', service: 'likes', app: 'likes', zone: 'zone-a', job: 'failsoft' });
    prom.writeTargets([
      { id: 'likes-1', service: 'likes', zone: 'zone-a', address: first },
      { id: 'likes-2', service: 'likes', zone: 'zone-b', address: await exporter() },
    ]);
    await waitUntil(async () => (await up()).filter((r) => r.value[1] === '1').length === 2, { timeoutMs: 30_000, message: 'both targets up after the targets file was rewritten' });
    const lines = readFileSync(join(dir, 'logs', `${PROMETHEUS_ID}.log`), 'utf8').split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow(); // its own lines (--log.format=json) and the supervisor's
    await prom.stop();
    expect(prom.url).toBeUndefined();
  });
});
