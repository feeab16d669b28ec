import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as the OTLP/HTTP JSON exporter sends it, flattened with its resource's service and instance. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  service: string;
  serviceInstance: string;
  attributes: Record<string, string | number | boolean>;
  events: Array<{ name: string; attributes: Record<string, string | number | boolean> }>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}

/**
 * A test OTLP receiver: an HTTP server taking `POST /v1/traces` with OTLP/HTTP JSON (what
 * `@opentelemetry/exporter-trace-otlp-http` sends) and keeping every span. Anything else gets 415/404,
 * so an exporter sending protobuf fails loudly instead of silently.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  private server: Server | undefined;
  requests = 0;

  /** Starts on a free loopback port; resolves the endpoint for OTEL_EXPORTER_OTLP_ENDPOINT. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/v1/traces') return void res.writeHead(404).end();
        if (!(req.headers['content-type'] ?? '').includes('json')) return void res.writeHead(415).end('OTLP/HTTP JSON only');
        try {
          this.add(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          this.requests += 1;
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } catch (error) {
          res.writeHead(400).end(String(error));
        }
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private add(body: { resourceSpans?: Array<{ resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }> }> }): void {
    for (const rs of body.resourceSpans ?? []) {
      const resource = attributes(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) {
          this.spans.push({
            traceId: String(span['traceId']),
            spanId: String(span['spanId']),
            parentSpanId: String(span['parentSpanId'] ?? ''),
            name: String(span['name']),
            kind: Number(span['kind']),
            service: String(resource['service.name'] ?? ''),
            serviceInstance: String(resource['service.instance.id'] ?? ''),
            attributes: attributes(span['attributes'] as OtlpAttribute[] | undefined),
            events: ((span['events'] as Array<{ name: string; attributes?: OtlpAttribute[] }> | undefined) ?? []).map((e) => ({ name: e.name, attributes: attributes(e.attributes) })),
          });
        }
      }
    }
  }
}

function attributes(list: OtlpAttribute[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    if (value.stringValue !== undefined) out[key] = value.stringValue;
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue;
    else if (value.boolValue !== undefined) out[key] = value.boolValue;
  }
  return out;
}
