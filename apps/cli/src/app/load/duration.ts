import { parseDuration as parseCliDuration, UsageError } from '../args';

/**
 * Parses a run length (`30s`, `2m`, `1m30s`, `500ms`; a bare number is milliseconds, as for every
 * duration flag of the CLI, see {@link parseCliDuration}). Lengths under a second are refused with
 * a hint, since `--for 45` almost always means 45 s.
 * @returns milliseconds. @throws UsageError naming `flag` and the value.
 */
export function parseDuration(raw: string, flag = '--for'): number {
  const ms = parseCliDuration(raw);
  if (ms === undefined || ms <= 0) throw new UsageError(`${flag} must be a positive duration like 30s, 2m, 1m30s or 500ms; got ${JSON.stringify(raw)}`);
  if (ms < 1000) {
    const hint = /^\s*\d+(\.\d+)?\s*$/.test(raw) ? ` (a bare number is milliseconds: did you mean ${raw.trim()}s?)` : '';
    throw new UsageError(`${flag} must be at least 1s; got ${JSON.stringify(raw)}${hint}`);
  }
  return ms;
}

/** Most requests per second the load generator accepts. */
export const MAX_RATE = 2000;

/** Parses a rate (requests per second, > 0, at most {@link MAX_RATE}). @throws UsageError naming the value. */
export function parseRate(raw: string, flag = '--rate'): number {
  const value = Number(raw.trim());
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !(value > 0) || value > MAX_RATE) {
    throw new UsageError(`${flag} must be a number of requests per second above 0 and at most ${MAX_RATE}; got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** `1m 30s`, `12.3 s`, `450 ms`: a duration for people. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}
