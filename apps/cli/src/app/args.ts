/** A command-line mistake: printed with a hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit code of a usage error (bad command, flag or value). */
export const USAGE_EXIT_CODE = 2;

/** One flag of a command. */
export interface FlagSpec {
  /** Long name without dashes, e.g. `front-door-port`, `no-seed`. */
  name: string;
  /** `boolean` flags take no value; the others take one (`--name value` or `--name=value`). */
  type: 'boolean' | 'port' | 'integer' | 'string' | 'choice' | 'duration';
  description: string;
  /** Placeholder in help, e.g. `<port>`. */
  valueName?: string;
  /** For `integer` (for `duration`: in ms, default 1). */
  min?: number;
  max?: number;
  /** For `choice`. */
  choices?: readonly string[];
}

/** Parsed flag values by name (booleans are true when present); positional arguments by their name. */
export type ParsedFlags = Record<string, string | number | boolean | undefined>;

/** One positional argument of a command (e.g. `failsoft scenario <name>`), stored in {@link ParsedFlags} under `name`. */
export interface PositionalSpec {
  /** Key in the parsed flags, e.g. `scenario`. */
  name: string;
  /** Placeholder in help, e.g. `<name>|all`. */
  valueName: string;
  description: string;
  /** Missing → a usage error (default false). */
  required?: boolean;
}

function parseValue(command: string, spec: FlagSpec, raw: string): string | number {
  const flag = `--${spec.name}`;
  switch (spec.type) {
    case 'port': {
      const value = Number(raw);
      if (!/^\d+$/.test(raw) || value < 1 || value > 65535) throw new UsageError(`${command}: ${flag} must be a port number from 1 to 65535; got ${JSON.stringify(raw)}`);
      return value;
    }
    case 'integer': {
      const value = Number(raw);
      const min = spec.min ?? Number.MIN_SAFE_INTEGER;
      const max = spec.max ?? Number.MAX_SAFE_INTEGER;
      if (!/^-?\d+$/.test(raw) || value < min || value > max) throw new UsageError(`${command}: ${flag} must be an integer from ${min} to ${max}; got ${JSON.stringify(raw)}`);
      return value;
    }
    case 'duration': {
      const value = parseDuration(raw);
      const min = spec.min ?? 1;
      const max = spec.max ?? 86_400_000;
      if (value === undefined || value < min || value > max) {
        throw new UsageError(`${command}: ${flag} must be a duration from ${formatDuration(min)} to ${formatDuration(max)} like 500ms, 3s, 2m or plain milliseconds; got ${JSON.stringify(raw)}`);
      }
      return value;
    }
    case 'choice':
      if (!spec.choices?.includes(raw)) throw new UsageError(`${command}: ${flag} must be one of ${spec.choices?.join(', ')}; got ${JSON.stringify(raw)}`);
      return raw;
    default:
      if (raw === '') throw new UsageError(`${command}: ${flag} needs a non-empty value`);
      return raw;
  }
}

/**
 * Parses `argv` (the words after the command name) against `specs`. Accepts `--flag value` and
 * `--flag=value`; rejects unknown flags, missing or bad values and positional arguments beyond
 * `positionals` (each stored under its name), with a message naming the command and the flag.
 * @throws UsageError
 */
export function parseFlags(command: string, specs: readonly FlagSpec[], argv: readonly string[], positionals: readonly PositionalSpec[] = []): ParsedFlags {
  const out: ParsedFlags = {};
  let position = 0;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (!word.startsWith('-') && position < positionals.length) {
      out[positionals[position++].name] = word;
      continue;
    }
    if (!word.startsWith('--') || word === '--') {
      throw new UsageError(`${command}: unexpected argument ${JSON.stringify(word)}${word.startsWith('-') && word !== '--' ? ' (flags are spelled --name)' : ''}`);
    }
    const eq = word.indexOf('=');
    const name = word.slice(2, eq === -1 ? undefined : eq);
    const spec = specs.find((s) => s.name === name);
    if (!spec) {
      const known = specs.map((s) => `--${s.name}`).join(', ');
      const guess = closest(name, specs.map((s) => s.name));
      throw new UsageError(`${command}: unknown flag --${name}${guess ? ` (did you mean --${guess}?)` : ''}; ${known ? `flags are ${known}, --help` : 'it takes no flags but --help'}`);
    }
    if (name in out) throw new UsageError(`${command}: --${name} is given twice`);
    if (spec.type === 'boolean') {
      if (eq !== -1) throw new UsageError(`${command}: --${name} takes no value`);
      out[name] = true;
      continue;
    }
    let raw: string | undefined;
    if (eq !== -1) raw = word.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) raw = argv[++i];
    if (raw === undefined) throw new UsageError(`${command}: --${name} needs a value ${spec.valueName ?? '<value>'}`);
    out[name] = parseValue(command, spec, raw);
  }
  const missing = positionals.slice(position).find((p) => p.required);
  if (missing) throw new UsageError(`${command}: missing ${missing.valueName} (${missing.description})`);
  return out;
}

/**
 * Milliseconds of a duration: `500ms`, `3s`, `1.5s`, `2m`, `1m30s`, `1h`, or a plain number of ms
 * (`250`: every duration flag of the CLI reads a bare number as milliseconds). Undefined when it is
 * not one (`3x`, `-1s`, `s`, '').
 */
export function parseDuration(raw: string): number | undefined {
  const text = raw.trim().toLowerCase();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text));
  if (!/^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/.test(text)) return undefined;
  let ms = 0;
  for (const [, value, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(value) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** A duration for messages: `500ms`, `3s`, `2m`, `1.5s`. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(2))}s`;
  return `${ms}ms`;
}

/** Edit distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j];
      row[j] = next;
    }
  }
  return row[b.length];
}

/** The candidate `word` abbreviates, or the closest one when it is close enough (a typo), else undefined. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const prefixed = candidates.filter((c) => word.length >= 3 && c.startsWith(word));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** Help lines of the flags, aligned. */
export function formatFlags(specs: readonly FlagSpec[]): string[] {
  const left = specs.map((s) => `--${s.name}${s.type === 'boolean' ? '' : ` ${s.valueName ?? '<value>'}`}`);
  const width = Math.max(0, ...left.map((l) => l.length));
  return specs.map((s, i) => `  ${left[i].padEnd(width)}  ${s.description}`);
}
