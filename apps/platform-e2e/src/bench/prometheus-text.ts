/** A bad Prometheus text or INFO reply given to the bench's parsers: the message names the line. */
export class ScrapeParseError extends Error {
  /** Stable code of every parse error. */
  readonly code = 'BAD_SCRAPE';
  constructor(message: string) {
    super(message);
    this.name = 'ScrapeParseError';
  }
}

/** One sample of a scrape: metric name, labels, value. */
export interface PromSample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const start = LABEL.lastIndex;
    const match = LABEL.exec(text);
    if (!match) {
      if (text.slice(start).trim() === '') break;
      throw new ScrapeParseError(`bad labels in Prometheus line ${JSON.stringify(line.slice(0, 200))}`);
    }
    labels[match[1]] = match[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function parseValue(raw: string, line: string): number {
  if (raw === '+Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  if (raw === 'NaN') return NaN;
  const value = Number(raw);
  if (raw === '' || Number.isNaN(value)) throw new ScrapeParseError(`bad value ${JSON.stringify(raw)} in Prometheus line ${JSON.stringify(line.slice(0, 200))}`);
  return value;
}

/**
 * The samples of a Prometheus text exposition (comments and blank lines skipped).
 * @throws ScrapeParseError naming the first line that is not a sample.
 */
export function parsePrometheusText(text: string): PromSample[] {
  if (typeof text !== 'string') throw new ScrapeParseError(`a Prometheus scrape must be text; got ${typeof text}`);
  const samples: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new ScrapeParseError(`not a Prometheus sample line: ${JSON.stringify(line.slice(0, 200))}`);
    samples.push({ name: match[1], labels: match[2] ? parseLabels(match[2], line) : {}, value: parseValue(match[3], line) });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include every pair of `where`. */
export function sumOf(samples: readonly PromSample[], name: string, where: Readonly<Record<string, string>> = {}): number {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

/** Distinct values of label `label` among the samples named `name`. */
export function labelValues(samples: readonly PromSample[], name: string, label: string): string[] {
  return [...new Set(samples.filter((s) => s.name === name && s.labels[label] !== undefined).map((s) => s.labels[label]))].sort();
}

/** Per-command figures of Redis `INFO commandstats`: calls and microseconds spent. */
export interface RedisCommandStat {
  calls: number;
  usec: number;
}

/**
 * Parses `INFO commandstats` (`cmdstat_get:calls=10,usec=25,usec_per_call=2.50,...`) into
 * figures per command (lower-case names, `get`, `client|setname`).
 * @throws ScrapeParseError naming the first malformed `cmdstat_` line.
 */
export function parseCommandStats(info: string): Map<string, RedisCommandStat> {
  if (typeof info !== 'string') throw new ScrapeParseError(`INFO commandstats must be text; got ${typeof info}`);
  const stats = new Map<string, RedisCommandStat>();
  for (const raw of info.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('cmdstat_')) continue;
    const match = /^cmdstat_([^:]+):(.*)$/.exec(line);
    const fields = new Map((match?.[2] ?? '').split(',').map((pair) => pair.split('=') as [string, string]));
    const calls = Number(fields.get('calls'));
    const usec = Number(fields.get('usec'));
    if (!match || !Number.isFinite(calls) || !Number.isFinite(usec)) throw new ScrapeParseError(`bad INFO commandstats line ${JSON.stringify(line.slice(0, 200))}`);
    stats.set(match[1], { calls, usec });
  }
  return stats;
}
