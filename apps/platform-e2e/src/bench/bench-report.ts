import { OPERATIONS } from './closed-loop';
import type { LevelSummary, OpFigures, TargetSummary } from './bench-summary';

/** Where each hop figure comes from (printed under the table and carried in the JSON). */
export const HOP_SOURCES = {
  frontDoor:
    'client timers: the same mix through HAProxy minus directly to gateway-1, both measured back to back in every round (order alternating); median of the per-round differences',
  gateway:
    'direct windows: client-timed mean latency minus the gateway\'s sidecar client time per request (failsoft_client_call_duration_seconds sum/count, /metrics scraped before and after the window): HTTP edge, Nest, auth, rate limit, JSON, plus the load client\'s own HTTP stack and loopback',
  sidecarClient:
    'gateway failsoft_client_call_duration_seconds minus the called service\'s failsoft_server_call_duration_seconds for the same method, per request: sidecar client policies, grpc-js on both ends, loopback',
  service:
    'failsoft_server_call_duration_seconds of the methods the gateway called, per request: handlers with their Redis round trips and their own downstream calls (feed → likes counts)',
  redis:
    'INFO commandstats of the master (calls and usec deltas): server-side execution only, every Redis client counted (background jobs too); durable writes: failsoft_durable_write_duration_seconds (write + WAIT, round trips included) of the services',
} as const;

/** What the JSON line says about the run besides the levels. */
export interface BenchContext {
  machine: { cpus: number; model: string; loadAverage1m?: { before: number; after: number } };
  settings: Record<string, unknown>;
  startupMs: number;
}

function pad(value: string | number, width: number): string {
  return String(value).padStart(width);
}

function errorsText(t: TargetSummary): string {
  const entries = Object.entries(t.errors).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([cause, n]) => `${cause} ×${n}`).join(', ') : 'none';
}

function kindsText(record: Record<string, number>, unit: string): string {
  return Object.entries(record)
    .sort((a, b) => b[1] - a[1])
    .map(([kind, v]) => `${kind} ${v}${unit}`)
    .join(', ');
}

function levelLines(level: LevelSummary): string[] {
  const { frontDoor: fd, direct } = level;
  const lines = [
    `c=${level.concurrency} (${level.rounds} rounds, medians)  | through the front door (HAProxy)   | direct to gateway-1`,
    `  operation      |    rps   p50 ms   p99 ms |    rps   p50 ms   p99 ms`,
    `  all            | ${pad(fd.rps, 6)} ${pad(fd.p50Ms, 8)} ${pad(fd.p99Ms, 8)} | ${pad(direct.rps, 6)} ${pad(direct.p50Ms, 8)} ${pad(direct.p99Ms, 8)}`,
  ];
  for (const op of OPERATIONS) {
    const a = fd.ops[op];
    const b = direct.ops[op];
    lines.push(`  ${op.padEnd(14)} | ${pad(a.rps, 6)} ${pad(a.p50Ms, 8)} ${pad(a.p99Ms, 8)} | ${pad(b.rps, 6)} ${pad(b.p50Ms, 8)} ${pad(b.p99Ms, 8)}`);
  }
  lines.push(`  front door hop: p50 ${level.frontDoorHop.addedP50Ms >= 0 ? '+' : ''}${level.frontDoorHop.addedP50Ms} ms, mean ${level.frontDoorHop.addedMeanMs >= 0 ? '+' : ''}${level.frontDoorHop.addedMeanMs} ms, throughput ratio ${level.frontDoorHop.throughputRatio} (front door / direct)`);
  lines.push(`  errors: front door ${errorsText(fd)}; direct ${errorsText(direct)}${fd.degraded + direct.degraded ? `; degraded answers ${fd.degraded} / ${direct.degraded}` : ''}`);
  const platformCores = Object.values(fd.cpuCores).reduce((a, b) => a + b, 0);
  const machine = fd.machineBusyCores === null ? '' : `; the machine was busy ${fd.machineBusyCores} cores, others than these ${Math.max(0, fd.machineBusyCores - platformCores).toFixed(2)}`;
  lines.push(`  CPU cores (front door windows): ${kindsText(fd.cpuCores, '')}${machine}`);
  lines.push(`  CPU ms per request (front door windows): ${kindsText(fd.cpuMsPerRequest, '')}`);
  return lines;
}

function hopLines(levels: readonly LevelSummary[]): string[] {
  const lines = ['hops, ms per request (means; direct windows except the front door; medians over rounds):', '  c    | client mean | front door | gateway | sidecar client | service | Redis exec (cmds/req, µs/cmd) | durable write'];
  for (const l of levels) {
    const h = l.direct.hops;
    if (!h) {
      lines.push(`  ${pad(l.concurrency, 4)} | hops unavailable: ${l.direct.hopErrors.join('; ') || 'no scrape'}`);
      continue;
    }
    const redis = h.redisMsPerRequest === null ? 'n/a' : `${h.redisMsPerRequest} (${h.redisCommandsPerRequest}, ${h.redisUsecPerCommand})`;
    lines.push(`  ${pad(l.concurrency, 4)} | ${pad(h.clientMeanMs, 11)} | ${pad(l.frontDoorHop.addedMeanMs, 10)} | ${pad(h.gatewayMs, 7)} | ${pad(h.sidecarClientMs, 14)} | ${pad(h.serviceMs, 7)} | ${pad(redis, 29)} | ${h.durableWriteMeanMs ?? 'n/a'}`);
  }
  const top = levels[levels.length - 1].direct.hops;
  if (top) for (const m of top.methods) lines.push(`  c=${levels[levels.length - 1].concurrency} ${m.service}.${m.method}: ${m.calls} calls, client ${m.clientMeanMs} ms, server ${m.serverMeanMs} ms, sidecar ${m.sidecarMs} ms`);
  for (const [hop, source] of Object.entries(HOP_SOURCES)) lines.push(`  ${hop}: ${source}`);
  return lines;
}

/**
 * The human table of a run (stdout, before the JSON line).
 * @throws RangeError when no level was measured.
 */
export function formatBenchTable(levels: readonly LevelSummary[]): string[] {
  if (levels.length === 0) throw new RangeError('no level was measured: nothing to report');
  const rss: Record<string, number> = {};
  for (const l of levels) for (const t of [l.frontDoor, l.direct]) for (const [k, v] of Object.entries(t.rssMbMax)) rss[k] = Math.max(rss[k] ?? 0, v);
  return [...levels.flatMap(levelLines), ...hopLines(levels), `RSS max per instance, MB (any instance of the kind, whole run): ${kindsText(rss, '')}`];
}

/**
 * The JSON line of a run: per operation rps, p50Ms, p99Ms (through the front door at the highest
 * level; every level under `levels`), rssMbMax and cpuShare per process kind, the hops and their sources.
 * @throws RangeError when no level was measured.
 */
export function benchJson(levels: readonly LevelSummary[], context: BenchContext): Record<string, unknown> {
  if (levels.length === 0) throw new RangeError('no level was measured: nothing to report');
  const top = levels[levels.length - 1];
  const rssMbMax: Record<string, number> = {};
  for (const l of levels) for (const t of [l.frontDoor, l.direct]) for (const [k, v] of Object.entries(t.rssMbMax)) rssMbMax[k] = Math.max(rssMbMax[k] ?? 0, v);
  const opsOf = (t: TargetSummary): Record<string, { rps: number; p50Ms: number; p99Ms: number }> =>
    Object.fromEntries(([['all', t], ...OPERATIONS.map((op) => [op, t.ops[op]])] as Array<[string, OpFigures]>).map(([op, f]) => [op, { rps: f.rps, p50Ms: f.p50Ms, p99Ms: f.p99Ms }]));
  return {
    bench: 'platform',
    ...context,
    operations: { concurrency: top.concurrency, target: 'frontDoor', ...opsOf(top.frontDoor) },
    rssMbMax,
    cpuShare: { concurrency: top.concurrency, ...top.frontDoor.cpuShare },
    hops: levels.map((l) => ({ concurrency: l.concurrency, frontDoorMs: l.frontDoorHop.addedMeanMs, frontDoorP50Ms: l.frontDoorHop.addedP50Ms, ...(l.direct.hops ? { ...l.direct.hops, methods: undefined } : { unavailable: l.direct.hopErrors }) })),
    hopSources: HOP_SOURCES,
    levels: levels.map((l) => ({
      concurrency: l.concurrency,
      rounds: l.rounds,
      frontDoorHop: l.frontDoorHop,
      frontDoor: { operations: opsOf(l.frontDoor), errors: l.frontDoor.errors, degraded: l.frontDoor.degraded, cpuCores: l.frontDoor.cpuCores, cpuShare: l.frontDoor.cpuShare, cpuMsPerRequest: l.frontDoor.cpuMsPerRequest, machineBusyCores: l.frontDoor.machineBusyCores },
      direct: { operations: opsOf(l.direct), errors: l.direct.errors, degraded: l.direct.degraded, cpuCores: l.direct.cpuCores, cpuShare: l.direct.cpuShare, cpuMsPerRequest: l.direct.cpuMsPerRequest, machineBusyCores: l.direct.machineBusyCores, methods: l.direct.hops?.methods ?? [] },
    })),
  };
}
