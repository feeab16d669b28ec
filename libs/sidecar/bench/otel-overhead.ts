import { spawn, type ChildProcess } from 'node:child_process';
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-node';
import { median } from './bench-rounds';

/**
 * The OpenTelemetry overhead phase of `npm run bench:sidecar`: the same sidecar client at c64 with
 * no SDK registered (the API is a no-op: the sidecar creates no span objects) and with the Node SDK
 * registered as a service runs it — parent-based 10 % trace-id ratio sampling, batch export over
 * OTLP/HTTP JSON to a sink in ANOTHER process (receiving costs this process nothing, exporting does).
 * Two ways of calling, each compared with and without the SDK:
 * - outside any trace (the bench's plain caller): with no SDK such a call sends no `traceparent` at
 *   all, with the SDK it sends the call span's, so the ratio includes that header on the wire;
 * - inside a served call (how a service calls: `runInCallScope` with the trace of the call it
 *   serves, sampled upstream at the same 10 %): both setups send a `traceparent`, so the ratio is
 *   what the SDK itself costs (spans, sampling, export).
 * Setups alternate round by round (adjacent in time); ratios are paired per round, median over rounds.
 */

/** One c64 round of a caller (from the bench): calls per second. */
export type C64RoundFn = () => Promise<{ callsPerSecond: number; errors: number; cpuMicrosPerCall: number }>;

/** SDK against no SDK for one way of calling. */
export interface OtelComparison {
  readonly noSdkCallsPerSecond: number;
  readonly sdkCallsPerSecond: number;
  /** Median over rounds of (SDK / no SDK) calls per second. */
  readonly throughputRatio: number;
  /** This process's CPU per call (median over rounds), no SDK / SDK, µs: steadier than calls/s on a loaded machine. */
  readonly clientCpuMicrosPerCall: { readonly noSdk: number; readonly sdk: number };
  /** The throughput ratio the CPU figures imply if the client is CPU-bound: noSdk / sdk. */
  readonly cpuBoundRatio: number;
}

/** What the phase reports: the call outside any trace at the top level (the figure issue 12 targets), and inside a served call. */
export interface OtelOverheadResult extends OtelComparison {
  readonly sampling: number;
  readonly rounds: number;
  /** The same comparison for calls made inside a served call (both setups send a traceparent). */
  readonly inServedCall?: OtelComparison;
  readonly spansExported: number;
  readonly errors: number;
}

/** The c64 rounds to compare: a call outside any trace, and optionally one inside a served call. */
export interface OtelRounds {
  readonly outside: C64RoundFn;
  readonly inServedCall?: C64RoundFn;
}

/** An OTLP/HTTP sink in a child process: answers 200 to everything, counts spans roughly (by spanId keys). */
async function startSink(): Promise<{ url: string; child: ChildProcess; spans: () => Promise<number> }> {
  const code = `
let spans = 0;
const server = require('http').createServer((req, res) => {
  if (req.url === '/count') return res.end(String(spans));
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => { spans += (body.match(/"spanId"/g) || []).length; res.writeHead(200, { 'content-type': 'application/json' }); res.end('{}'); });
});
server.listen(0, '127.0.0.1', () => process.stdout.write('PORT ' + server.address().port + '\\n'));
process.on('SIGTERM', () => process.exit(0));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      const match = /PORT (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (c) => reject(new Error(`the OTLP sink exited (${c}) before listening`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return { url, child, spans: async () => Number(await (await fetch(`${url}/count`)).text()) };
}

/** Per-round samples of one way of calling. */
class Samples {
  readonly none: number[] = [];
  readonly sdk: number[] = [];
  readonly noneCpu: number[] = [];
  readonly sdkCpu: number[] = [];

  add(setup: 'none' | 'sdk', result: { callsPerSecond: number; cpuMicrosPerCall: number }): void {
    (setup === 'sdk' ? this.sdk : this.none).push(result.callsPerSecond);
    (setup === 'sdk' ? this.sdkCpu : this.noneCpu).push(result.cpuMicrosPerCall);
  }

  comparison(): OtelComparison {
    return {
      noSdkCallsPerSecond: Math.round(median(this.none)),
      sdkCallsPerSecond: Math.round(median(this.sdk)),
      throughputRatio: Math.round(median(this.sdk.map((s, i) => s / this.none[i])) * 1000) / 1000,
      clientCpuMicrosPerCall: { noSdk: Math.round(median(this.noneCpu) * 10) / 10, sdk: Math.round(median(this.sdkCpu) * 10) / 10 },
      cpuBoundRatio: Math.round((median(this.noneCpu) / median(this.sdkCpu)) * 1000) / 1000,
    };
  }
}

/** Runs `rounds` alternating pairs of c64 rounds, no SDK and SDK at `sampling`, for each way of calling. */
export async function measureOtelOverhead(calls: OtelRounds, options: { rounds: number; sampling?: number; progress: (line: string) => void }): Promise<OtelOverheadResult> {
  const sampling = options.sampling ?? 0.1;
  const sink = await startSink();
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-client' }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(sampling) }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${sink.url}/v1/traces` }))],
  });
  const ways = [{ name: 'outside a trace', round: calls.outside, samples: new Samples() }];
  if (calls.inServedCall) ways.push({ name: 'in a served call', round: calls.inServedCall, samples: new Samples() });
  let errors = 0;
  try {
    for (let r = 0; r < options.rounds; r++) {
      const setups: Array<'none' | 'sdk'> = r % 2 === 0 ? ['none', 'sdk'] : ['sdk', 'none'];
      for (const way of r % 2 === 0 ? ways : [...ways].reverse()) {
        for (const setup of setups) {
          if (setup === 'sdk') trace.setGlobalTracerProvider(provider);
          const result = await way.round();
          trace.disable();
          errors += result.errors;
          way.samples.add(setup, result);
        }
      }
      options.progress(
        `otel round ${r + 1}/${options.rounds}: ` +
          ways.map((w) => `${w.name}: no SDK ${Math.round(w.samples.none[r])}/s, SDK at ${sampling * 100} % ${Math.round(w.samples.sdk[r])}/s`).join('; '),
      );
    }
    await provider.forceFlush();
    return {
      sampling,
      rounds: options.rounds,
      ...ways[0].samples.comparison(),
      ...(ways[1] === undefined ? {} : { inServedCall: ways[1].samples.comparison() }),
      spansExported: await sink.spans(),
      errors,
    };
  } finally {
    trace.disable();
    await provider.shutdown().catch(() => undefined);
    sink.child.kill('SIGTERM');
  }
}
