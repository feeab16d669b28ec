import { UsageError } from '../args';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration: `500ms`, `30s`, `2m`, `1m30s`, `1h`, or a bare number of seconds (`45`).
 * @returns milliseconds. @throws UsageError naming `flag` and the value when it is not a positive duration.
 */
export function parseDuration(raw: string, flag = '--for'): number {
  const text = raw.trim().toLowerCase();
  const bad = (): UsageError => new UsageError(`${flag} must be a positive duration like 30s, 2m, 1m30s, 500ms or a number of seconds; got ${JSON.stringify(raw)}`);
  if (/^\d+(\.\d+)?$/.test(text)) {
    const ms = Number(text) * 1000;
    if (!(ms > 0)) throw bad();
    return Math.round(ms);
  }
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) throw bad();
  let ms = 0;
  for (const [, value, , unit] of text.matchAll(/(\d+(\.\d+)?)(ms|s|m|h)/g)) ms += Number(value) * UNITS[unit];
  if (!(ms > 0) || !Number.isFinite(ms)) throw bad();
  return Math.round(ms);
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
