// The CLI's duration syntax (`4s`, `500ms`, `1m`), so the bench reads durations as `failsoft` does.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { parseDuration } from '../../../cli/src/app/args';

/** A bad flag or environment variable of the bench: the message names it and the bad value. */
export class BenchOptionError extends Error {
  /** Stable code of every option error. */
  readonly code = 'BAD_BENCH_OPTION';
  constructor(message: string) {
    super(message);
    this.name = 'BenchOptionError';
  }
}

/** What one `npm run bench:platform` does. */
export interface BenchOptions {
  /** Closed-loop workers per level, in the order measured (default 1, 8, 32). */
  concurrency: number[];
  /** Measured length of one window (one target at one level in one round), ms. */
  durationMs: number;
  /** Unmeasured load before each window, ms. */
  warmupMs: number;
  /** Rounds per level; each round measures both targets, the order alternating between rounds. */
  rounds: number;
  /** Pass the platform's start lines on to stderr. */
  verbose: boolean;
  /** Print the usage and exit. */
  help: boolean;
}

/** Usage text of the bench. */
export const BENCH_USAGE = [
  'npm run bench:platform [-- --concurrency 1,8,32 --duration 4s --warmup 1s --rounds 3 --verbose]',
  '  --concurrency <n,n,...>  closed-loop workers per level, 1 to 256 each (env BENCH_PLATFORM_CONCURRENCY)',
  '  --duration <d>           measured time per window, 1s to 5m (env BENCH_PLATFORM_DURATION; default 4s)',
  '  --warmup <d>             unmeasured load before each window, 0 to 1m (env BENCH_PLATFORM_WARMUP; default 1s)',
  '  --rounds <n>             rounds per level, 1 to 20, targets alternated (env BENCH_PLATFORM_ROUNDS; default 3)',
  '  --verbose                show the platform start lines',
  'A full default run takes about 2.5 min (start ~20 s + 3 levels x 3 rounds x 2 targets x 5 s).',
].join('\n');

const FLAGS: Record<string, { env: string; fallback: string } | 'boolean'> = {
  concurrency: { env: 'BENCH_PLATFORM_CONCURRENCY', fallback: '1,8,32' },
  duration: { env: 'BENCH_PLATFORM_DURATION', fallback: '4s' },
  warmup: { env: 'BENCH_PLATFORM_WARMUP', fallback: '1s' },
  rounds: { env: 'BENCH_PLATFORM_ROUNDS', fallback: '3' },
  verbose: 'boolean',
  help: 'boolean',
};

/** Splits `--name value` / `--name=value` flags; unknown flags and missing values are errors. */
function rawFlags(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    const spec = match ? FLAGS[match[1]] : undefined;
    if (!match || spec === undefined) throw new BenchOptionError(`unknown argument ${JSON.stringify(argv[i])}; flags: ${Object.keys(FLAGS).map((f) => `--${f}`).join(', ')}`);
    if (spec === 'boolean') {
      if (match[2] !== undefined) throw new BenchOptionError(`--${match[1]} takes no value; got ${JSON.stringify(argv[i])}`);
      out.set(match[1], 'true');
      continue;
    }
    const value = match[2] ?? argv[++i];
    if (value === undefined || value.startsWith('--')) throw new BenchOptionError(`--${match[1]} needs a value (e.g. --${match[1]} ${spec.fallback})`);
    out.set(match[1], value);
  }
  return out;
}

function duration(name: string, raw: string, minMs: number, maxMs: number): number {
  const ms = parseDuration(raw);
  if (ms === undefined || ms < minMs || ms > maxMs) throw new BenchOptionError(`${name} must be a duration from ${minMs} ms to ${maxMs / 1000} s like 4s or 500ms; got ${JSON.stringify(raw)}`);
  return ms;
}

function integer(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) throw new BenchOptionError(`${name} must be an integer from ${min} to ${max}; got ${JSON.stringify(raw)}`);
  return value;
}

/**
 * The bench's options from its arguments, each flag defaulting to its environment variable, then
 * to its default (see {@link BENCH_USAGE}).
 * @throws BenchOptionError naming the flag (or variable) and the bad value.
 */
export function parseBenchOptions(argv: readonly string[], env: NodeJS.ProcessEnv = {}): BenchOptions {
  const flags = rawFlags(argv);
  const pick = (flag: string): { name: string; raw: string } => {
    const spec = FLAGS[flag] as { env: string; fallback: string };
    if (flags.has(flag)) return { name: `--${flag}`, raw: flags.get(flag) as string };
    if (env[spec.env] !== undefined && env[spec.env] !== '') return { name: spec.env, raw: env[spec.env] as string };
    return { name: `--${flag}`, raw: spec.fallback };
  };
  const c = pick('concurrency');
  const levels = c.raw.split(',').map((part) => integer(`${c.name} (each level)`, part, 1, 256));
  if (new Set(levels).size !== levels.length) throw new BenchOptionError(`${c.name} lists a level twice; got ${JSON.stringify(c.raw)}`);
  const d = pick('duration');
  const w = pick('warmup');
  const r = pick('rounds');
  return {
    concurrency: levels,
    durationMs: duration(d.name, d.raw, 1000, 300_000),
    warmupMs: duration(w.name, w.raw, 0, 60_000),
    rounds: integer(r.name, r.raw, 1, 20),
    verbose: flags.has('verbose'),
    help: flags.has('help'),
  };
}
