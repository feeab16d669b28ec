/**
 * The figures (one JSON object) and the human table of `npm run bench:sidecar`, from the rounds
 * measured by sidecar-bench.main.ts: every comparison paired per round, then the median over rounds.
 */
import { cpus, loadavg } from 'node:os';
import type { ClientPathResult } from './client-path';
import type { OtelOverheadResult } from './otel-overhead';
import type { PolicyStackBenchResult } from './policy-stack';
import { median, pooledQuantile, round, type C1Block, type C64Round, type Variant, type VariantKey } from './bench-rounds';

/** The targets (issue 14). */
export const TARGETS = { throughputRatioC64: 0.95, p50AddedMicrosC1: 20, p99AddedMicrosC1: 150, policyStackMicrosPerCall: 2 } as const;

/** What the report is made of. */
export interface BenchReportInput {
  readonly variants: readonly Variant[];
  readonly c1: ReadonlyMap<VariantKey, readonly C1Block[]>;
  readonly c64: ReadonlyMap<VariantKey, readonly C64Round[]>;
  readonly policy?: PolicyStackBenchResult;
  readonly clientPath?: ClientPathResult;
  readonly otel?: OtelOverheadResult;
  readonly diag: boolean;
  readonly c1Rounds: number;
  readonly c64Rounds: number;
  readonly c64Ms: number;
  /** HAProxy's version line, or undefined when the hops were skipped. */
  readonly haproxyVersion?: string;
  /** Why the proxy hops were skipped, when they were. */
  readonly haproxySkipped?: string;
}

/** The last-line JSON figures and the table printed before it. */
export function buildReport(input: BenchReportInput): { figures: Record<string, unknown>; table: string } {
  const c1Of = (key: VariantKey): readonly C1Block[] => input.c1.get(key) ?? [];
  const c64Of = (key: VariantKey): readonly C64Round[] => input.c64.get(key) ?? [];
  const variants = input.variants;
  const c64Variants = variants.filter((v) => v.c64);
  const otel = input.otel;
  const hops = input.haproxyVersion !== undefined;
  // ---- figures (paired per round, then the median over rounds)
  const pairedC1 = (a: VariantKey, b: VariantKey, f: (x: C1Block) => number): number => median(c1Of(a).map((block, i) => f(block) - f(c1Of(b)[i])));
  const medC1 = (key: VariantKey, f: (x: C1Block) => number): number => median(c1Of(key).map(f));
  const medC64 = (key: VariantKey, f: (x: C64Round) => number): number => median(c64Of(key).map(f));
  const ratioC64 = (a: VariantKey, b: VariantKey): number => median(c64Of(a).map((x, i) => x.callsPerSecond / c64Of(b)[i].callsPerSecond));
  const errorsC64 = (key: VariantKey): number => c64Of(key).reduce((sum, x) => sum + x.errors, 0);

  const throughputRatioC64 = ratioC64('sidecar', 'raw');
  const p50AddedMicrosC1 = pairedC1('sidecar', 'raw', (x) => x.p50);
  // p99 over every call of the rounds pooled (see pooledQuantile); the median of per-round p99s is reported beside it
  const pooled = new Map<VariantKey, number>();
  const pooledP99 = (key: VariantKey): number => pooled.get(key) ?? pooled.set(key, pooledQuantile(c1Of(key), 0.99)).get(key) ?? NaN;
  const p99AddedMicrosC1 = pooledP99('sidecar') - pooledP99('raw');
  const policyStackMicrosPerCall = input.policy?.microsPerCall ?? NaN;
  const rawCpu = medC64('raw', (x) => x.cpuMicrosPerCall);
  const sidecarCpu = medC64('sidecar', (x) => x.cpuMicrosPerCall);
  const rawServerCpu = medC64('raw', (x) => x.serverCpuMicrosPerCall);
  const sidecarServerCpu = medC64('sidecar', (x) => x.serverCpuMicrosPerCall);
  const figures: Record<string, unknown> = {
    throughputRatioC64: round(throughputRatioC64, 3),
    p50AddedMicrosC1: round(p50AddedMicrosC1, 1),
    p99AddedMicrosC1: round(p99AddedMicrosC1, 1),
    policyStackMicrosPerCall: round(policyStackMicrosPerCall, 2),
    rawCallsPerSecondC64: Math.round(medC64('raw', (x) => x.callsPerSecond)),
    sidecarCallsPerSecondC64: Math.round(medC64('sidecar', (x) => x.callsPerSecond)),
    rawP50MicrosC1: round(medC1('raw', (x) => x.p50), 1),
    sidecarP50MicrosC1: round(medC1('sidecar', (x) => x.p50), 1),
    oneHopThroughputRatio: hops ? round(ratioC64('rawOneHop', 'raw'), 3) : null,
    twoHopsThroughputRatio: hops ? round(ratioC64('rawTwoHops', 'raw'), 3) : null,
    oneHopAddedP50Micros: hops ? round(pairedC1('rawOneHop', 'raw', (x) => x.p50), 1) : null,
    twoHopsAddedP50Micros: hops ? round(pairedC1('rawTwoHops', 'raw', (x) => x.p50), 1) : null,
    oneHopAddedP99Micros: hops ? round(pooledP99('rawOneHop') - pooledP99('raw'), 1) : null,
    haproxy: input.haproxyVersion ?? null,
    rawP99MicrosC1: round(pooledP99('raw'), 1),
    sidecarP99MicrosC1: round(pooledP99('sidecar'), 1),
    p99AddedMicrosC1MedianOfRounds: round(pairedC1('sidecar', 'raw', (x) => x.p99), 1),
    clientCpuMicrosPerCallC64: { raw: round(rawCpu, 1), sidecar: round(sidecarCpu, 1) },
    serverCpuMicrosPerCallC64: { raw: round(rawServerCpu, 1), sidecar: round(sidecarServerCpu, 1) },
    // What the ratio would be if CPU (client + server, same machine) were the only limit.
    cpuBoundThroughputRatioC64: round((rawCpu + rawServerCpu) / (sidecarCpu + sidecarServerCpu), 3),
    clientPathAddedMicrosNoNetwork: round(input.clientPath?.addedMicrosPerCall ?? NaN, 2),
    policyStackOverheadMicrosPerCall: round(input.policy?.overheadMicrosPerCall ?? NaN, 2),
    sidecarServerP50AddedMicrosC1: round(pairedC1('rawToSidecarServer', 'raw', (x) => x.p50), 1),
    sidecarServerThroughputRatioC64: round(ratioC64('rawToSidecarServer', 'raw'), 3),
    endToEndP50AddedMicrosC1: round(pairedC1('sidecarToSidecarServer', 'raw', (x) => x.p50), 1),
    ...(input.diag
      ? {
          traceparentHeaderP50AddedMicrosC1: round(pairedC1('rawTraceparent', 'raw', (x) => x.p50), 1),
          traceparentHeaderThroughputRatioC64: round(ratioC64('rawTraceparent', 'raw'), 3),
          minimalSidecarP50AddedMicrosC1: round(pairedC1('sidecarMinimal', 'raw', (x) => x.p50), 1),
          minimalSidecarThroughputRatioC64: round(ratioC64('sidecarMinimal', 'raw'), 3),
          noCallerStackSidecarP50AddedMicrosC1: round(pairedC1('sidecarNoCallerStack', 'raw', (x) => x.p50), 1),
          noCallerStackSidecarThroughputRatioC64: round(ratioC64('sidecarNoCallerStack', 'raw'), 3),
        }
      : {}),
    errorsC64: c64Variants.reduce((sum, v) => sum + errorsC64(v.key), 0),
    loadAverage1m: round(loadavg()[0], 2),
    setup: 'plain grpc-js Echo server (1 instance) in a child process, target of raw, sidecar and raw-through-HAProxy clients; loopback',
    targets: TARGETS,
    targetsMet: {
      throughputRatioC64: throughputRatioC64 >= TARGETS.throughputRatioC64,
      p50AddedMicrosC1: p50AddedMicrosC1 <= TARGETS.p50AddedMicrosC1,
      p99AddedMicrosC1: p99AddedMicrosC1 <= TARGETS.p99AddedMicrosC1,
      policyStackMicrosPerCall: input.policy === undefined ? null : policyStackMicrosPerCall <= TARGETS.policyStackMicrosPerCall,
    },
  };
  if (input.otel !== undefined) figures['otel'] = otel;
  const met = figures['targetsMet'] as Record<string, boolean | null>;

  // ---- human-readable table
  const fmt = (value: number, digits = 0): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
  const pad = (text: string, width: number): string => text.padEnd(width);
  const lines: string[] = [];
  lines.push('');
  lines.push(`Sidecar client stack vs raw @grpc/grpc-js — loopback, server in its own process, ${cpus().length} CPUs, node ${process.version}, load ${loadavg()[0].toFixed(2)}`);
  lines.push(`c1: ${input.c1Rounds} rounds × ${median(c1Of('raw').map((b) => b.calls))} sequential calls per variant (median), interleaved call by call, order shuffled every turn (p50: median over rounds; p99: over every call of the rounds pooled)`);
  lines.push(`c64: ${input.c64Rounds} rounds × ${input.c64Ms} ms per variant, alternating order (median over rounds; ratios paired per round)`);
  lines.push('');
  lines.push(`${pad('variant', 36)}${pad('c1 p50', 9)}${pad('c1 p99', 9)}${pad('c1 mean', 9)}${pad('c64 calls/s', 13)}${pad('c64 CPU/call client+server', 28)}errors`);
  for (const variant of variants) {
    const inC64 = variant.c64;
    lines.push(
      pad(variant.label, 36) +
        pad(fmt(medC1(variant.key, (x) => x.p50)), 9) +
        pad(fmt(pooledP99(variant.key)), 9) +
        pad(fmt(medC1(variant.key, (x) => x.mean)), 9) +
        pad(inC64 ? fmt(medC64(variant.key, (x) => x.callsPerSecond)) : '-', 13) +
        pad(inC64 ? `${fmt(medC64(variant.key, (x) => x.cpuMicrosPerCall), 1)} + ${fmt(medC64(variant.key, (x) => x.serverCpuMicrosPerCall), 1)} µs` : '-', 28) +
        (inC64 ? String(errorsC64(variant.key)) : '-'),
    );
  }
  lines.push('(latencies in µs)');
  lines.push('');
  const verdict = (ok: boolean | null): string => (ok === null ? 'skipped' : ok ? 'met' : 'MISSED');
  const row = (name: string, value: string, target = '', ok = ''): string => `${pad(name, 61)} ${pad(value, 14)}${pad(target, 9)}${ok}`;
  lines.push(row('figure', 'value', 'target', 'verdict'));
  lines.push(row('throughput ratio at c64 (sidecar / raw)', fmt(throughputRatioC64, 3), `≥ ${TARGETS.throughputRatioC64}`, verdict(met['throughputRatioC64'])));
  lines.push(row('p50 added at c1 (sidecar − raw), µs', fmt(p50AddedMicrosC1, 1), `≤ ${TARGETS.p50AddedMicrosC1}`, verdict(met['p50AddedMicrosC1'])));
  lines.push(row('p99 added at c1 (sidecar − raw), µs', fmt(p99AddedMicrosC1, 1), `≤ ${TARGETS.p99AddedMicrosC1}`, verdict(met['p99AddedMicrosC1'])));
  lines.push(row('policy stack alone, µs per call (no network)', fmt(policyStackMicrosPerCall, 2), `≤ ${TARGETS.policyStackMicrosPerCall}`, verdict(met['policyStackMicrosPerCall'])));
  if (hops) {
    const hop = (key: string): number => figures[key] as number;
    lines.push(row(`anchor: one HAProxy ${/version (\d+\.\d+\.\d+)/.exec(input.haproxyVersion ?? '')?.[1] ?? ''} hop / raw, ratio c64`, fmt(hop('oneHopThroughputRatio'), 3)));
    lines.push(row('anchor: two hops / raw, ratio c64', fmt(hop('twoHopsThroughputRatio'), 3)));
    lines.push(row('anchor: p50 added at c1, one hop / two hops, µs', `${fmt(hop('oneHopAddedP50Micros'), 1)} / ${fmt(hop('twoHopsAddedP50Micros'), 1)}`));
    lines.push(row('anchor: p99 added at c1, one hop, µs', fmt(hop('oneHopAddedP99Micros'), 1)));
  } else {
    lines.push(`note: proxy-hop anchors skipped: ${input.haproxySkipped ?? 'haproxy not started'}`);
  }
  if (otel !== undefined) {
    lines.push(row(`OpenTelemetry SDK at ${otel.sampling * 100} % vs none: throughput ratio c64`, fmt(otel.throughputRatio, 3), '≥ 0.95', verdict(otel.throughputRatio >= 0.95)));
    lines.push(row('  calls/s c64, no SDK / SDK; spans exported', `${otel.noSdkCallsPerSecond} / ${otel.sdkCallsPerSecond}; ${otel.spansExported}`));
    lines.push(row('  client CPU per call c64, no SDK / SDK, µs; CPU-bound ratio', `${otel.clientCpuMicrosPerCall.noSdk} / ${otel.clientCpuMicrosPerCall.sdk}; ${fmt(otel.cpuBoundRatio, 3)}`));
    const served = otel.inServedCall;
    if (served !== undefined) {
      lines.push(row('  inside a served call (traceparent both ways): ratio', fmt(served.throughputRatio, 3)));
      lines.push(row('    calls/s, no SDK / SDK; client CPU per call, µs', `${served.noSdkCallsPerSecond} / ${served.sdkCallsPerSecond}; ${served.clientCpuMicrosPerCall.noSdk} / ${served.clientCpuMicrosPerCall.sdk}`));
    }
  }
  lines.push(row('client path added, no network (sidecar − raw), µs/call', fmt(input.clientPath?.addedMicrosPerCall ?? NaN, 2)));
  lines.push(row('client CPU per call at c64, raw / sidecar, µs', `${fmt(rawCpu, 1)} / ${fmt(sidecarCpu, 1)}`));
  lines.push(row('ratio if CPU-bound: (client+server) raw / sidecar', fmt(figures['cpuBoundThroughputRatioC64'] as number, 3)));
  lines.push(row('(optional) SidecarServer p50 added at c1, µs', fmt(figures['sidecarServerP50AddedMicrosC1'] as number, 1)));
  lines.push(row('(optional) SidecarServer throughput ratio at c64', fmt(figures['sidecarServerThroughputRatioC64'] as number, 3)));
  lines.push(row('(optional) sidecar client → SidecarServer p50 added, µs', fmt(figures['endToEndP50AddedMicrosC1'] as number, 1)));
  if (input.diag) {
    lines.push(row('(diag) traceparent header alone: p50 added at c1, µs', fmt(figures['traceparentHeaderP50AddedMicrosC1'] as number, 1)));
    lines.push(row('(diag) traceparent header alone: throughput ratio c64', fmt(figures['traceparentHeaderThroughputRatioC64'] as number, 3)));
    lines.push(row('(diag) minimal sidecar client: p50 added at c1, µs', fmt(figures['minimalSidecarP50AddedMicrosC1'] as number, 1)));
    lines.push(row('(diag) minimal sidecar client: throughput ratio c64', fmt(figures['minimalSidecarThroughputRatioC64'] as number, 3)));
    lines.push(row('(diag) sidecar w/o grpc caller stack: p50 added c1, µs', fmt(figures['noCallerStackSidecarP50AddedMicrosC1'] as number, 1)));
    lines.push(row('(diag) sidecar w/o grpc caller stack: ratio c64', fmt(figures['noCallerStackSidecarThroughputRatioC64'] as number, 3)));
  }
  for (const variant of c64Variants) {
    const failed = c64Of(variant.key).find((x) => x.firstError !== undefined);
    if (failed) lines.push(`note: ${variant.label} had ${errorsC64(variant.key)} failed calls at c64, first: ${failed.firstError}`);
  }
  if (loadavg()[0] > cpus().length) lines.push(`note: load average ${loadavg()[0].toFixed(2)} > ${cpus().length} CPUs: other processes competed for the CPU; figures are noisy`);
  lines.push('');
  return { figures, table: lines.join('\n') };

}
