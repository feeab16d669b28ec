import { spawn, type ChildProcess } from 'node:child_process';
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-node';

/**
 * The OpenTelemetry overhead phase of `npm run bench:sidecar`: the same sidecar client at c64 with
 * no SDK registered (the API is a no-op: the sidecar creates no span objects) and with the Node SDK
 * registered as a service runs it — parent-based 10 % trace-id ratio sampling, batch export over
 * OTLP/HTTP JSON to a sink in ANOTHER process (receiving costs this process nothing, exporting does).
 * Setups alternate round by round (adjacent in time); the ratio is paired per round, median over rounds.
 */

/** One c64 round of a caller (from the bench): calls per second. */
export type C64RoundFn = () => Promise<{ callsPerSecond: number; errors: number; cpuMicrosPerCall: number }>;

/** What the phase reports. */
export interface OtelOverheadResult {
  readonly sampling: number;
  readonly rounds: number;
  readonly noSdkCallsPerSecond: number;
  readonly sdkCallsPerSecond: number;
  /** Median over rounds of (SDK / no SDK) calls per second. */
  readonly throughputRatio: number;
  /** This process's CPU per call (median over rounds), no SDK / SDK, µs: steadier than calls/s on a loaded machine. */
  readonly clientCpuMicrosPerCall: { readonly noSdk: number; readonly sdk: number };
  /** The throughput ratio the CPU figures imply if the client is CPU-bound: noSdk / sdk. */
  readonly cpuBoundRatio: number;
  readonly spansExported: number;
  readonly errors: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length === 0 ? NaN : sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
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

/** Runs `rounds` alternating pairs of c64 rounds, no SDK and SDK at `sampling`. */
export async function measureOtelOverhead(round: C64RoundFn, options: { rounds: number; sampling?: number; progress: (line: string) => void }): Promise<OtelOverheadResult> {
  const sampling = options.sampling ?? 0.1;
  const sink = await startSink();
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-client' }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(sampling) }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${sink.url}/v1/traces` }))],
  });
  const none: number[] = [];
  const sdk: number[] = [];
  const noneCpu: number[] = [];
  const sdkCpu: number[] = [];
  let errors = 0;
  try {
    for (let r = 0; r < options.rounds; r++) {
      const order = r % 2 === 0 ? ['none', 'sdk'] : ['sdk', 'none'];
      for (const setup of order) {
        if (setup === 'sdk') trace.setGlobalTracerProvider(provider);
        const result = await round();
        trace.disable();
        errors += result.errors;
        (setup === 'sdk' ? sdk : none).push(result.callsPerSecond);
        (setup === 'sdk' ? sdkCpu : noneCpu).push(result.cpuMicrosPerCall);
      }
      options.progress(`otel round ${r + 1}/${options.rounds}: no SDK ${Math.round(none[r])}/s, SDK at ${sampling * 100} % ${Math.round(sdk[r])}/s`);
    }
    await provider.forceFlush();
    return {
      sampling,
      rounds: options.rounds,
      noSdkCallsPerSecond: Math.round(median(none)),
      sdkCallsPerSecond: Math.round(median(sdk)),
      throughputRatio: Math.round(median(sdk.map((s, i) => s / none[i])) * 1000) / 1000,
      clientCpuMicrosPerCall: { noSdk: Math.round(median(noneCpu) * 10) / 10, sdk: Math.round(median(sdkCpu) * 10) / 10 },
      cpuBoundRatio: Math.round((median(noneCpu) / median(sdkCpu)) * 1000) / 1000,
      spansExported: await sink.spans(),
      errors,
    };
  } finally {
    trace.disable();
    await provider.shutdown().catch(() => undefined);
    sink.child.kill('SIGTERM');
  }
}
