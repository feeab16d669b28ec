// eslint-disable-next-line @nx/enforce-module-boundaries
import { percentile } from '../../../cli/src/app/load/stats';
import { OPERATIONS, type Operation, type OpSample } from './closed-loop';
import type { HopCosts, MethodHop } from './hop-costs';
import type { UsageWindow } from './process-usage';

/** Where the load goes: HAProxy (the front door over both gateways) or `gateway-1` directly. */
export type Target = 'frontDoor' | 'direct';
/** Both targets, in the order of odd rounds (even rounds reverse it). */
export const TARGETS: readonly Target[] = ['frontDoor', 'direct'];

/** Throughput and latency of a set of requests. */
export interface OpFigures {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

/** What one window's requests did. */
export interface WindowFigures extends OpFigures {
  ops: Record<Operation, OpFigures>;
  /** Failed requests by cause. */
  errors: Record<string, number>;
  /** 2xx answers flagged degraded. */
  degraded: number;
}

/** One measured window (a target at a level in a round). */
export interface WindowResult {
  target: Target;
  concurrency: number;
  round: number;
  figures: WindowFigures;
  usage: UsageWindow;
  hops: HopCosts | null;
  /** Why hops is null. */
  hopError?: string;
}

/** A target at a level: medians over the rounds (errors and requests summed, RSS the max). */
export interface TargetSummary extends Omit<WindowFigures, 'requests'> {
  requests: number;
  cpuCores: Record<string, number>;
  /** Each kind's part of the CPU all watched processes used. */
  cpuShare: Record<string, number>;
  /** CPU ms each kind spent per answered request (cores × 1000 / rps), and `all` of them together. */
  cpuMsPerRequest: Record<string, number>;
  rssMbMax: Record<string, number>;
  /** CPU cores the whole machine was busy (median; the platform, the bench and other users of the machine), null without /proc/stat. */
  machineBusyCores: number | null;
  hops: (Omit<HopCosts, 'methods'> & { methods: MethodHop[] }) | null;
  hopErrors: string[];
}

/** One concurrency level. */
export interface LevelSummary {
  concurrency: number;
  rounds: number;
  frontDoor: TargetSummary;
  direct: TargetSummary;
  /** The front door's own cost: medians of the per-round differences (front door minus direct). */
  frontDoorHop: { addedP50Ms: number; addedMeanMs: number; throughputRatio: number };
}

function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Median of `values` (mean of the middle two for an even count). @throws RangeError on an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('the median of no values is undefined');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function opFigures(samples: readonly OpSample[], seconds: number): OpFigures {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const mean = ms.length ? ms.reduce((a, b) => a + b, 0) / ms.length : 0;
  return { requests: ms.length, rps: round(ms.length / seconds, 1), p50Ms: round(percentile(ms, 50)), p99Ms: round(percentile(ms, 99)), meanMs: round(mean, 3) };
}

/** The figures of one window's samples. @throws RangeError when durationMs is not positive. */
export function windowFigures(samples: readonly OpSample[], durationMs: number): WindowFigures {
  if (!(durationMs > 0)) throw new RangeError(`a window's duration must be above 0 ms; got ${JSON.stringify(durationMs)}`);
  const seconds = durationMs / 1000;
  const errors: Record<string, number> = {};
  for (const s of samples) if (!s.ok) errors[s.cause ?? 'unknown'] = (errors[s.cause ?? 'unknown'] ?? 0) + 1;
  const ops = Object.fromEntries(OPERATIONS.map((op) => [op, opFigures(samples.filter((s) => s.op === op), seconds)])) as Record<Operation, OpFigures>;
  return { ...opFigures(samples, seconds), ops, errors, degraded: samples.filter((s) => s.degraded).length };
}

function medianRecord(records: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))].sort();
  return Object.fromEntries(keys.map((k) => [k, round(median(records.map((r) => r[k] ?? 0)), 3)]));
}

function medianHops(all: ReadonlyArray<HopCosts | null>): TargetSummary['hops'] {
  const hops = all.filter((h): h is HopCosts => h !== null);
  if (hops.length === 0) return null;
  const numeric = (pick: (h: HopCosts) => number | null): number | null => {
    const values = hops.map(pick).filter((v): v is number => v !== null);
    return values.length ? round(median(values), 4) : null;
  };
  const methodKeys = [...new Set(hops.flatMap((h) => h.methods.map((m) => `${m.service}/${m.method}`)))].sort();
  const methods = methodKeys.map((key) => {
    const [service, method] = key.split('/');
    const of = hops.flatMap((h) => h.methods.filter((m) => m.service === service && m.method === method));
    return { service, method, calls: median(of.map((m) => m.calls)), clientMeanMs: round(median(of.map((m) => m.clientMeanMs)), 3), serverMeanMs: round(median(of.map((m) => m.serverMeanMs)), 3), sidecarMs: round(median(of.map((m) => m.sidecarMs)), 3) };
  });
  return {
    requests: median(hops.map((h) => h.requests)),
    clientMeanMs: numeric((h) => h.clientMeanMs) ?? 0,
    gatewayMs: numeric((h) => h.gatewayMs) ?? 0,
    sidecarClientMs: numeric((h) => h.sidecarClientMs) ?? 0,
    serviceMs: numeric((h) => h.serviceMs) ?? 0,
    redisCommandsPerRequest: numeric((h) => h.redisCommandsPerRequest),
    redisUsecPerCommand: numeric((h) => h.redisUsecPerCommand),
    redisMsPerRequest: numeric((h) => h.redisMsPerRequest),
    durableWrites: median(hops.map((h) => h.durableWrites)),
    durableWriteMeanMs: numeric((h) => h.durableWriteMeanMs),
    methods,
  };
}

function targetSummary(windows: readonly WindowResult[]): TargetSummary {
  const f = windows.map((w) => w.figures);
  const errors: Record<string, number> = {};
  for (const w of f) for (const [cause, n] of Object.entries(w.errors)) errors[cause] = (errors[cause] ?? 0) + n;
  const ops = Object.fromEntries(
    OPERATIONS.map((op) => [op, { requests: f.reduce((n, w) => n + w.ops[op].requests, 0), ...medianRecord(f.map((w) => ({ rps: w.ops[op].rps, p50Ms: w.ops[op].p50Ms, p99Ms: w.ops[op].p99Ms, meanMs: w.ops[op].meanMs }))) }]),
  ) as Record<Operation, OpFigures>;
  const cpuCores = medianRecord(windows.map((w) => w.usage.cpuCores));
  const cpuTotal = Object.values(cpuCores).reduce((a, b) => a + b, 0);
  const rssMbMax: Record<string, number> = {};
  for (const w of windows) for (const [kind, mb] of Object.entries(w.usage.rssMbMax)) rssMbMax[kind] = round(Math.max(rssMbMax[kind] ?? 0, mb), 1);
  const rps = round(median(f.map((w) => w.rps)), 1);
  const perRequest = (cores: number): number => (rps > 0 ? round((cores * 1000) / rps, 2) : 0);
  return {
    requests: f.reduce((n, w) => n + w.requests, 0),
    rps,
    p50Ms: round(median(f.map((w) => w.p50Ms))),
    p99Ms: round(median(f.map((w) => w.p99Ms))),
    meanMs: round(median(f.map((w) => w.meanMs)), 3),
    ops,
    errors,
    degraded: f.reduce((n, w) => n + w.degraded, 0),
    cpuCores,
    cpuMsPerRequest: { all: perRequest(cpuTotal), ...Object.fromEntries(Object.entries(cpuCores).map(([k, v]) => [k, perRequest(v)])) },
    cpuShare: Object.fromEntries(Object.entries(cpuCores).map(([k, v]) => [k, cpuTotal > 0 ? round(v / cpuTotal, 3) : 0])),
    rssMbMax,
    machineBusyCores: windows.every((w) => w.usage.machineBusyCores !== undefined) ? round(median(windows.map((w) => w.usage.machineBusyCores as number)), 2) : null,
    hops: medianHops(windows.map((w) => w.hops)),
    hopErrors: [...new Set(windows.map((w) => w.hopError).filter((e): e is string => e !== undefined))],
  };
}

/**
 * One level's summary from its windows: medians over rounds per target, and the front door's
 * cost as the median of the per-round differences (each round measured both targets back to back).
 * @throws RangeError naming the level when a target has no window or the rounds do not pair up.
 */
export function levelSummary(concurrency: number, windows: readonly WindowResult[]): LevelSummary {
  const of = (target: Target): WindowResult[] => windows.filter((w) => w.concurrency === concurrency && w.target === target).sort((a, b) => a.round - b.round);
  const fd = of('frontDoor');
  const direct = of('direct');
  if (fd.length === 0 || direct.length === 0) throw new RangeError(`level c=${concurrency} needs windows of both targets; got ${fd.length} through the front door and ${direct.length} direct`);
  if (fd.length !== direct.length || fd.some((w, i) => w.round !== direct[i].round)) throw new RangeError(`level c=${concurrency}: the rounds of the two targets do not pair up (front door ${fd.map((w) => w.round)}, direct ${direct.map((w) => w.round)})`);
  const pairs = fd.map((w, i) => [w.figures, direct[i].figures] as const);
  return {
    concurrency,
    rounds: fd.length,
    frontDoor: targetSummary(fd),
    direct: targetSummary(direct),
    frontDoorHop: {
      addedP50Ms: round(median(pairs.map(([a, b]) => a.p50Ms - b.p50Ms))),
      addedMeanMs: round(median(pairs.map(([a, b]) => a.meanMs - b.meanMs)), 3),
      throughputRatio: round(median(pairs.map(([a, b]) => (b.rps > 0 ? a.rps / b.rps : 0))), 3),
    },
  };
}
