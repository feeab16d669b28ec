import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { waitUntil } from '@failsoft/testing';
import { USERS } from './support/api';
import { nonJsonServiceLines, readServiceLogs, SERVICE_KINDS } from './support/logs';
import { OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver';
import { figure, progress, startTestPlatform, stopTestPlatform, suiteDir, waitForFullService, workspace, type TestPlatform } from './support/platform';

/**
 * Observability of the real platform of `npm start` (issue 12): its services export OpenTelemetry
 * spans over OTLP/HTTP to a test receiver, a real Prometheus (Debian's binary, started by the
 * platform itself) scrapes every instance, and every log line is JSON. One likes instance is
 * killed (SIGKILL, held down) while requests go gateway → feed → likes: the trace of a retried
 * request shows the tree down to the attempts, and the breaker / failover series move in Prometheus.
 */

jest.setTimeout(240_000);

const SERVICES = SERVICE_KINDS;
const receiver = new OtlpReceiver();
let tp: TestPlatform;
let prom: string;
let token: string;
let held = false;

/** One PromQL instant query through Prometheus' HTTP API: the vector's samples. */
async function query(promql: string): Promise<Array<{ metric: Record<string, string>; value: number }>> {
  const res = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(promql)}`, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  if (body.status !== 'success') throw new Error(`PromQL ${promql}: ${body.error ?? res.status}`);
  return (body.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

async function scalar(promql: string): Promise<number | undefined> {
  const [first] = await query(promql);
  return first?.value;
}

/** GET /api/feed under our own trace id (a sampled W3C traceparent from "the browser"). */
async function feedUnderTrace(): Promise<{ traceId: string; status: number }> {
  const traceId = randomBytes(16).toString('hex');
  const parent = randomBytes(8).toString('hex');
  const res = await tp.api.request('/api/feed', { headers: { authorization: `Bearer ${token}`, traceparent: `00-${traceId}-${parent}-01` }, timeoutMs: 10_000 });
  return { traceId, status: res.status };
}

const serviceInstances = (): string[] => tp.platform.processes().filter((p) => SERVICES.includes(p.service)).map((p) => p.id);

beforeAll(async () => {
  const endpoint = await receiver.start();
  tp = await startTestPlatform(
    'observability',
    { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'parentbased_always_on', OTEL_BSP_SCHEDULE_DELAY: '200' },
    { prometheus: { scrapeIntervalS: 1 }, logLevel: 'debug' },
  );
  prom = tp.platform.prometheusUrl as string;
  if (prom === undefined) throw new Error('the platform started no Prometheus: is the Debian package prometheus installed (apt-get install prometheus)?');
  token = tp.tokens[USERS[0]];
});

afterAll(async () => {
  if (held) await tp.platform.startInstance('likes-1').catch(() => undefined);
  await stopTestPlatform(tp);
  await receiver.stop();
});

/** Test 2's checks, with likes-1 held down (the test restarts it whatever happens). */
async function killedLikesChecks(before: number): Promise<void> {
  progress('likes-1 killed (SIGKILL) and held down; sending feed requests under known trace ids');
  const traces: string[] = [];
  let retried: { traceId: string; spans: ReceivedSpan[] } | undefined;
  await waitUntil(
    async () => {
      const batch = await Promise.all(Array.from({ length: 4 }, () => feedUnderTrace()));
      for (const r of batch) {
        expect(r.status).toBe(200);
        traces.push(r.traceId);
      }
      for (const traceId of traces) {
        const spans = receiver.trace(traceId);
        if (spans.some((s) => s.name === 'likes attempt' && s.attributes['failsoft.attempt'] === 1 && s.attributes['failsoft.outcome'] === 'OK')) {
          retried = { traceId, spans };
          return true;
        }
      }
      return false;
    },
    { timeoutMs: 60_000, intervalMs: 100, message: 'a feed request whose likes call was retried on another instance (spans exported to the test receiver)' },
  );
  const { traceId } = retried as { traceId: string; spans: ReceivedSpan[] };
  // the whole trace: every process exports in its own batches (200 ms apart): wait for the three services' spans
  await waitUntil(
    () => {
      const spans = receiver.trace(traceId);
      return spans.some((s) => s.service === 'gateway' && s.kind === 2) && spans.some((s) => s.name === 'likes/Counts') && spans.some((s) => s.service === 'likes' && s.kind === 2);
    },
    { timeoutMs: 15_000, message: `the gateway's, feed's and likes' spans of trace ${traceId}` },
  );
  const spans = receiver.trace(traceId);
  figure('observability-trace', { traceId, spans: spans.length, received: receiver.spans.length, exports: receiver.requests });
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const parentOf = (s: ReceivedSpan): ReceivedSpan | undefined => byId.get(s.parentSpanId);
  const one = (predicate: (s: ReceivedSpan) => boolean, what: string): ReceivedSpan => {
    const found = spans.filter(predicate);
    if (found.length !== 1) throw new Error(`expected one ${what} in trace ${traceId}, found ${found.length}: ${spans.map((s) => `${s.service}:${s.name}`).join(', ')}`);
    return found[0];
  };
  const http = one((s) => s.service === 'gateway' && s.kind === 2 && s.name.startsWith('GET '), 'gateway HTTP server span');
  expect(http.attributes['http.response.status_code']).toBe(200);
  const feedCall = one((s) => s.service === 'gateway' && s.name === 'feed/GetFeed', 'gateway client span to feed');
  expect(parentOf(feedCall)).toBe(http);
  const feedServer = spans.find((s) => s.service === 'feed' && s.kind === 2 && s.name.endsWith('/GetFeed') && s.attributes['failsoft.outcome'] === 'OK') as ReceivedSpan;
  expect(feedServer).toBeDefined();
  expect(feedServer.attributes['failsoft.admission']).toBe('admitted');
  expect(parentOf(parentOf(feedServer) as ReceivedSpan)).toBe(feedCall);
  const likesCall = one((s) => s.service === 'feed' && s.name === 'likes/Counts', 'feed client span to likes');
  expect(parentOf(likesCall)).toBe(feedServer);
  const attempts = spans.filter((s) => s.name === 'likes attempt').sort((a, b) => Number(a.attributes['failsoft.attempt']) - Number(b.attributes['failsoft.attempt']));
  expect(attempts.length).toBeGreaterThanOrEqual(2);
  for (const attempt of attempts) {
    expect(parentOf(attempt)).toBe(likesCall);
    expect(['closed', 'open', 'halfOpen']).toContain(attempt.attributes['failsoft.breaker.state']);
    expect(typeof attempt.attributes['failsoft.deadline.left_ms']).toBe('number');
    expect(attempt.attributes['failsoft.zone']).toMatch(/^zone-/);
  }
  const failed = attempts[0];
  expect(failed.attributes['failsoft.instance']).toBe('likes-1');
  expect(failed.attributes['failsoft.outcome']).not.toBe('OK');
  expect(failed.attributes['failsoft.fault.injected']).toBe(false);
  const last = attempts[attempts.length - 1];
  expect(last.attributes['failsoft.instance']).not.toBe('likes-1');
  expect(last.attributes['failsoft.retry.reason']).toBe(attempts[attempts.length - 2].attributes['failsoft.outcome']);
  expect(likesCall.attributes['failsoft.outcome']).toBe('OK');
  expect(likesCall.attributes['failsoft.fallback.used']).toBe(false);
  const likesServer = one((s) => s.service === 'likes' && s.kind === 2, 'likes server span');
  expect(parentOf(likesServer)).toBe(last);
  expect(likesServer.serviceInstance).toBe(last.attributes['failsoft.instance']);

  // Prometheus: the failover counter moved, and likes-1's breaker opened (outlier ejection)
  await waitUntil(
    async () => {
      await feedUnderTrace();
      const failovers = (await scalar('sum(failsoft_client_failovers_total{service="likes"})')) ?? 0;
      const opened = await scalar('max(max_over_time(failsoft_breaker_state{service="likes",instance="likes-1"}[5m]))');
      const ejections = (await scalar('sum(failsoft_ejections_total{service="likes",instance="likes-1"})')) ?? 0;
      return failovers > before && opened === 2 && ejections >= 1;
    },
    { timeoutMs: 60_000, intervalMs: 250, message: 'Prometheus to show likes failovers up, likes-1 breaker open (2) and an ejection' },
  );
  figure('observability-prometheus', {
    failovers: await scalar('sum(failsoft_client_failovers_total{service="likes"})'),
    ejections: await scalar('sum(failsoft_ejections_total{service="likes"})'),
  });
}

describe('observability of the npm start platform', () => {
  it('Prometheus scrapes every service instance: count(up == 1) is the number of instances', async () => {
    const expected = serviceInstances().length;
    expect(expected).toBeGreaterThanOrEqual(8);
    const count = await waitUntil(async () => ((await scalar('count(up == 1)')) === expected ? expected : undefined), {
      timeoutMs: 30_000,
      intervalMs: 250,
      message: `Prometheus ${prom} to see ${expected} instances up`,
    });
    expect(count).toBe(expected);
    const jobs = await query('up');
    expect(new Set(jobs.map((s) => s.metric['instance']))).toEqual(new Set(serviceInstances()));
    expect(new Set(jobs.map((s) => s.metric['service']))).toEqual(new Set(SERVICES));
    // the per-instance breaker gauge exists for every likes instance as soon as the feed sees them
    await waitUntil(async () => (await query('failsoft_breaker_state{service="likes",instance="likes-1"}')).length >= 1, { timeoutMs: 15_000, message: 'a breaker_state series of likes-1' });
  });

  it('a likes instance killed: one request traced gateway → feed → attempts, the retry and the breaker in its spans; failovers and ejections in Prometheus', async () => {
    await waitForFullService(tp);
    const before = (await scalar('sum(failsoft_client_failovers_total{service="likes"})')) ?? 0;
    await tp.platform.stopInstance('likes-1', { signal: 'SIGKILL' });
    held = true;
    try {
      await killedLikesChecks(before);
    } finally {
      // whatever happened, the next tests see the whole platform again
      await tp.platform.startInstance('likes-1');
      held = false;
      await tp.platform.waitForReady(['likes-1'], 60_000);
    }
  });

  it('every line of every service log is JSON; call lines carry trace and span ids, and the traced request is in the feed and likes logs', async () => {
    const logsDir = join(suiteDir, 'observability', 'logs');
    expect(nonJsonServiceLines(logsDir)).toEqual([]);
    const { files, lines } = readServiceLogs(logsDir);
    expect(files.length).toBe(serviceInstances().length);
    const traced = new Set(receiver.spans.map((s) => s.traceId));
    let scoped = 0;
    const servicesWithTracedLines = new Set<string>();
    for (const { where, text, entry } of lines) {
      const parsed = entry as Record<string, unknown>;
      expect(typeof parsed['time']).toBe('string');
      expect(typeof parsed['level']).toBe('string');
      expect(typeof parsed['instance']).toBe('string');
      if (parsed['msg'] === 'call') {
        scoped += 1;
        if (typeof parsed['traceId'] !== 'string' || typeof parsed['spanId'] !== 'string') throw new Error(`${where}: a call line without trace/span ids: ${text}`);
        if (traced.has(parsed['traceId'])) servicesWithTracedLines.add(String(parsed['service']));
      }
    }
    figure('observability-logs', { files: files.length, lines: lines.length, callLines: scoped });
    expect(scoped).toBeGreaterThan(0);
    expect([...servicesWithTracedLines].sort()).toEqual(expect.arrayContaining(['feed', 'likes']));
  });

  it("every PromQL of the Grafana dashboards names only metrics the platform exports (a real scrape) and is valid PromQL", async () => {
    const exported = new Set<string>(['up']);
    for (const id of serviceInstances()) {
      const res = await fetch(`${tp.platform.process(id).url}/metrics`, { signal: AbortSignal.timeout(5000) });
      expect(res.status).toBe(200);
      for (const match of (await res.text()).matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        exported.add(match[1]);
        if (match[2] === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(match[1] + suffix);
      }
    }
    const dir = join(workspace, 'deploy', 'observability', 'grafana', 'dashboards');
    const unknown: string[] = [];
    let expressions = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const dashboard = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
      for (const panel of dashboard.panels) {
        for (const { expr } of panel.targets) {
          expressions += 1;
          const names = (expr.replace(/\{[^}]*\}/g, '').replace(/"[^"]*"/g, '').match(/\b(failsoft_[a-z0-9_]+|up)\b/g) ?? []);
          expect(names.length).toBeGreaterThan(0);
          for (const name of names) if (!exported.has(name)) unknown.push(`${file} "${panel.title}": ${name}`);
          await query(expr); // throws with Prometheus' own message on invalid PromQL
        }
      }
    }
    figure('observability-dashboards', { expressions, exportedMetrics: exported.size });
    expect(unknown).toEqual([]);
  });

  it("Prometheus's own graph page shows the breaker series in a real browser (screenshot for docs/observability.md)", async () => {
    const browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'], timeout: 60_000 });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const expr = encodeURIComponent('max by (app, service, instance) (failsoft_breaker_state{service="likes"})');
      await page.goto(`${prom}/graph?g0.expr=${expr}&g0.tab=0&g0.range_input=1m`, { waitUntil: 'load', timeout: 30_000 });
      await page.getByText('instance="likes-1"', { exact: false }).first().waitFor({ timeout: 30_000 });
      const out = join(suiteDir, 'observability', 'prometheus-graph.png');
      mkdirSync(join(suiteDir, 'observability'), { recursive: true });
      await page.screenshot({ path: out });
      figure('observability-screenshot', { path: out });
    } finally {
      await browser.close();
    }
  });
});
