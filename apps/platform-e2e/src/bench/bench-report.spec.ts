import type { OpSample } from './closed-loop';
import { benchJson, formatBenchTable } from './bench-report';
import { levelSummary, median, windowFigures, type Target, type WindowResult } from './bench-summary';

function samples(ms: number, count: number, extra: Partial<OpSample> = {}): OpSample[] {
  const ops = ['feed', 'feed', 'like', 'unlike', 'create'] as const;
  return Array.from({ length: count }, (_, i) => ({ op: ops[i % ops.length], ms, ok: true, degraded: false, ...extra }));
}

function window(target: Target, round: number, ms: number, errors = 0): WindowResult {
  const all = [...samples(ms, 100), ...samples(ms, errors, { ok: false, cause: 'HTTP 503 LIKES_UNAVAILABLE' })];
  return {
    target,
    concurrency: 8,
    round,
    figures: windowFigures(all, 2000),
    usage: { wallMs: 2000, cpuCores: { gateway: 0.5, haproxy: target === 'frontDoor' ? 0.1 : 0 }, rssMbMax: { gateway: 120 + round, haproxy: 15 } },
    hops: { requests: 100, clientMeanMs: ms, gatewayMs: 1, sidecarClientMs: 0.5, serviceMs: ms - 1.5, redisCommandsPerRequest: 3, redisUsecPerCommand: 4, redisMsPerRequest: 0.012, durableWrites: 20, durableWriteMeanMs: 1.5, methods: [{ service: 'feed', method: 'GetFeed', calls: 40, clientMeanMs: 3, serverMeanMs: 2.5, sidecarMs: 0.5 }] },
  };
}

describe('bench summary and report', () => {
  it('takes medians over rounds and the front door hop from the per-round differences', () => {
    const windows = [window('frontDoor', 1, 10), window('direct', 1, 8), window('direct', 2, 9), window('frontDoor', 2, 10, 5), window('frontDoor', 3, 30), window('direct', 3, 7)];
    const level = levelSummary(8, windows);
    expect(level.rounds).toBe(3);
    expect(level.frontDoorHop.addedP50Ms).toBe(2); // differences 2, 1, 23
    expect(level.frontDoor.errors).toEqual({ 'HTTP 503 LIKES_UNAVAILABLE': 5 });
    expect(level.frontDoor.rssMbMax).toEqual({ gateway: 123, haproxy: 15 });
    expect(level.frontDoor.cpuShare).toEqual({ gateway: 0.833, haproxy: 0.167 });
    // 0.6 cores at 50 rps: 12 ms of CPU per request
    expect(level.frontDoor.cpuMsPerRequest).toEqual({ all: 12, gateway: 10, haproxy: 2 });
    expect(level.direct.ops.feed).toMatchObject({ requests: 120, rps: 20, p50Ms: 8 });

    const table = formatBenchTable([level]).join('\n');
    expect(table).toMatch(/c=8 \(3 rounds, medians\)/);
    expect(table).toMatch(/errors: front door HTTP 503 LIKES_UNAVAILABLE ×5; direct none/);
    expect(table).toMatch(/frontDoor: client timers/);
    const json = benchJson([level], { machine: { cpus: 2, model: 'x' }, settings: {}, startupMs: 1 });
    expect(json).toMatchObject({ bench: 'platform', operations: { concurrency: 8, feed: { rps: 20 }, like: { p99Ms: 10 } }, rssMbMax: { gateway: 123, haproxy: 15 } });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('refuses what it cannot report, with a clear error', () => {
    expect(() => formatBenchTable([])).toThrow(new RangeError('no level was measured: nothing to report'));
    expect(() => benchJson([], { machine: { cpus: 2, model: 'x' }, settings: {}, startupMs: 1 })).toThrow(/no level was measured/);
    expect(() => levelSummary(8, [window('frontDoor', 1, 10)])).toThrow('level c=8 needs windows of both targets; got 1 through the front door and 0 direct');
    expect(() => levelSummary(8, [window('frontDoor', 1, 10), window('direct', 2, 9)])).toThrow(/the rounds of the two targets do not pair up \(front door 1, direct 2\)/);
    expect(() => windowFigures([], 0)).toThrow("a window's duration must be above 0 ms; got 0");
    expect(() => median([])).toThrow(RangeError);
  });

  it('reports a window with no answered request as zeros, not as NaN', () => {
    const f = windowFigures([], 1000);
    expect(f).toMatchObject({ requests: 0, rps: 0, p50Ms: 0, p99Ms: 0, meanMs: 0, errors: {} });
  });
});
