import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The services whose logs are held to one JSON line format. */
export const SERVICE_KINDS = ['gateway', 'upload', 'likes', 'feed'] as const;

/**
 * Every line of the services' logs in `logsDir` (`<kind>-<n>.log`) that is not one JSON object,
 * as `file:line: text` (the text cut at 200 characters). Empty when every line is JSON.
 */
export function nonJsonServiceLines(logsDir: string): string[] {
  const files = readdirSync(logsDir).filter((f) => SERVICE_KINDS.some((kind) => f.startsWith(`${kind}-`)) && f.endsWith('.log'));
  if (files.length === 0) throw new Error(`no service logs in ${logsDir}: did the platform start there?`);
  const bad: string[] = [];
  for (const file of files) {
    readFileSync(join(logsDir, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.trim() === '') return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          parsed = undefined;
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) bad.push(`${file}:${i + 1}: ${line.slice(0, 200)}`);
      });
  }
  return bad;
}
