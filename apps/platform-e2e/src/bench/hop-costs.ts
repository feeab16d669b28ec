import { labelValues, parseCommandStats, parsePrometheusText, ScrapeParseError, sumOf, type PromSample } from './prometheus-text';

/** Service kinds whose `/metrics` the bench scrapes. */
export type ScrapedKind = 'gateway' | 'upload' | 'likes' | 'feed';

/** One instance's `/metrics`, scraped before and after a measured window. */
export interface InstanceScrape {
  instance: string;
  kind: ScrapedKind;
  before: string;
  after: string;
}

/** What {@link hopCosts} needs of one measured window. */
export interface HopInput {
  /** API requests answered in the window (every operation). */
  requests: number;
  /** Their mean latency as the load client timed it, ms. */
  clientMeanMs: number;
  /** Every gateway and service instance's scrapes. */
  scrapes: readonly InstanceScrape[];
  /** `INFO commandstats` of the Redis master before and after (omit when not read). */
  redis?: { before: string; after: string };
}

/** One gRPC method the gateways called in the window. */
export interface MethodHop {
  service: string;
  method: string;
  /** Calls the gateways made (their sidecar clients' histogram count). */
  calls: number;
  /** Mean of the gateways' `failsoft_client_call_duration_seconds`, ms. */
  clientMeanMs: number;
  /** Mean of the service's `failsoft_server_call_duration_seconds` for the method (every caller), ms. */
  serverMeanMs: number;
  /** clientMeanMs - serverMeanMs: the sidecar client, gRPC and the server's framing, ms per call. */
  sidecarMs: number;
}

/** Where the time of one API request goes, in ms per request (means over the window). */
export interface HopCosts {
  requests: number;
  clientMeanMs: number;
  /** Client mean minus the gateways' sidecar client time per request: HTTP edge, Nest, auth, rate limit, JSON, the load client's HTTP stack. */
  gatewayMs: number;
  /** Gateway client call time minus the matching server time, per request. */
  sidecarClientMs: number;
  /** Server handling time of the called methods, per request (their Redis round trips and own downstream calls included). */
  serviceMs: number;
  /** Redis commands the master executed per API request (every client of Redis, background included). */
  redisCommandsPerRequest: number | null;
  /** Mean server-side execution time of one Redis command (commandstats usec / calls), µs. */
  redisUsecPerCommand: number | null;
  /** Redis execution time per API request, ms (inside serviceMs/gatewayMs, not added to them). */
  redisMsPerRequest: number | null;
  /** Durable writes (write + WAIT) in the window, and their mean, ms (`failsoft_durable_write_duration_seconds`). */
  durableWrites: number;
  durableWriteMeanMs: number | null;
  methods: MethodHop[];
}

const CLIENT = 'failsoft_client_call_duration_seconds';
const SERVER = 'failsoft_server_call_duration_seconds';
const DURABLE = 'failsoft_durable_write_duration_seconds';

interface ParsedScrape {
  kind: ScrapedKind;
  before: PromSample[];
  after: PromSample[];
}

/** after - before of a series summed over instances; an instance whose counter went down restarted: its after counts whole. */
function delta(scrapes: readonly ParsedScrape[], name: string, where: Record<string, string>, kinds?: readonly ScrapedKind[]): number {
  let total = 0;
  for (const s of scrapes) {
    if (kinds && !kinds.includes(s.kind)) continue;
    const after = sumOf(s.after, name, where);
    const before = sumOf(s.before, name, where);
    total += after >= before ? after - before : after;
  }
  return total;
}

function methodMatches(serverMethod: string, method: string): boolean {
  return serverMethod === method || serverMethod.endsWith(`/${method}`);
}

function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function methodHops(scrapes: readonly ParsedScrape[]): MethodHop[] {
  const hops: MethodHop[] = [];
  const gateways = scrapes.filter((s) => s.kind === 'gateway');
  const pairs = new Set<string>();
  for (const g of gateways) for (const sample of g.after) if (sample.name === `${CLIENT}_count`) pairs.add(`${sample.labels['service']}\u0000${sample.labels['method']}`);
  for (const pair of [...pairs].sort()) {
    const [service, method] = pair.split('\u0000');
    const calls = delta(gateways, `${CLIENT}_count`, { service, method });
    if (calls <= 0) continue;
    const clientMs = (delta(gateways, `${CLIENT}_sum`, { service, method }) / calls) * 1000;
    const servers = scrapes.filter((s) => s.kind === service);
    const serverMethods = [...new Set(servers.flatMap((s) => labelValues(s.after, `${SERVER}_count`, 'method')))].filter((m) => methodMatches(m, method));
    let serverCalls = 0;
    let serverSeconds = 0;
    for (const m of serverMethods) {
      serverCalls += delta(servers, `${SERVER}_count`, { method: m });
      serverSeconds += delta(servers, `${SERVER}_sum`, { method: m });
    }
    const serverMs = serverCalls > 0 ? (serverSeconds / serverCalls) * 1000 : 0;
    hops.push({ service, method, calls, clientMeanMs: round(clientMs), serverMeanMs: round(serverMs), sidecarMs: round(clientMs - serverMs) });
  }
  return hops;
}

function redisFigures(input: HopInput): Pick<HopCosts, 'redisCommandsPerRequest' | 'redisUsecPerCommand' | 'redisMsPerRequest'> {
  if (!input.redis) return { redisCommandsPerRequest: null, redisUsecPerCommand: null, redisMsPerRequest: null };
  const before = parseCommandStats(input.redis.before);
  const after = parseCommandStats(input.redis.after);
  let calls = 0;
  let usec = 0;
  for (const [command, stat] of after) {
    if (command === 'info') continue; // the bench's own INFO commandstats
    const prior = before.get(command) ?? { calls: 0, usec: 0 };
    calls += Math.max(0, stat.calls - prior.calls);
    usec += Math.max(0, stat.usec - prior.usec);
  }
  return {
    redisCommandsPerRequest: round(calls / input.requests, 2),
    redisUsecPerCommand: calls > 0 ? round(usec / calls, 2) : null,
    redisMsPerRequest: round(usec / 1000 / input.requests, 4),
  };
}

/**
 * The cost of each hop of one measured window, from the load client's timing and two scrapes of
 * every instance's `/metrics` (and optionally Redis `INFO commandstats`): a pure function.
 * Means, not percentiles: histogram sums and counts subtract exactly; buckets would not.
 * @throws ScrapeParseError on a malformed scrape, RangeError when requests is not a positive integer.
 */
export function hopCosts(input: HopInput): HopCosts {
  if (!Number.isInteger(input.requests) || input.requests <= 0) throw new RangeError(`requests must be a positive integer; got ${JSON.stringify(input.requests)}`);
  if (!(input.clientMeanMs >= 0)) throw new RangeError(`clientMeanMs must be a number >= 0; got ${JSON.stringify(input.clientMeanMs)}`);
  if (!input.scrapes.some((s) => s.kind === 'gateway')) throw new ScrapeParseError('the scrapes include no gateway: the hop costs need the gateways\' sidecar client histograms');
  const scrapes: ParsedScrape[] = input.scrapes.map((s) => {
    try {
      return { kind: s.kind, before: parsePrometheusText(s.before), after: parsePrometheusText(s.after) };
    } catch (error) {
      throw new ScrapeParseError(`/metrics of ${s.instance}: ${(error as Error).message}`);
    }
  });
  const methods = methodHops(scrapes);
  const clientMs = methods.reduce((sum, m) => sum + m.calls * m.clientMeanMs, 0);
  const serverMs = methods.reduce((sum, m) => sum + m.calls * m.serverMeanMs, 0);
  const durableWrites = delta(scrapes, `${DURABLE}_count`, {}, ['upload', 'likes', 'feed']);
  const durableSeconds = delta(scrapes, `${DURABLE}_sum`, {}, ['upload', 'likes', 'feed']);
  return {
    requests: input.requests,
    clientMeanMs: round(input.clientMeanMs),
    gatewayMs: round(input.clientMeanMs - clientMs / input.requests),
    sidecarClientMs: round((clientMs - serverMs) / input.requests),
    serviceMs: round(serverMs / input.requests),
    ...redisFigures(input),
    durableWrites,
    durableWriteMeanMs: durableWrites > 0 ? round((durableSeconds / durableWrites) * 1000) : null,
    methods,
  };
}
