import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The services whose logs are held to one JSON line format. */
export const SERVICE_KINDS: readonly string[] = ['gateway', 'upload', 'likes', 'feed'];

/** One non-empty line of a service log. */
export interface ServiceLogLine {
  /** `file:line`, for messages. */
  readonly where: string;
  readonly text: string;
  /** The line as a JSON object, or undefined when it is not one. */
  readonly entry: Record<string, unknown> | undefined;
}

/** The service logs in `logsDir` (`<kind>-<n>.log`) and their non-empty lines, each parsed. */
export function readServiceLogs(logsDir: string): { files: string[]; lines: ServiceLogLine[] } {
  const files = readdirSync(logsDir).filter((f) => SERVICE_KINDS.some((kind) => f.startsWith(`${kind}-`)) && f.endsWith('.log'));
  if (files.length === 0) throw new Error(`no service logs in ${logsDir}: did the platform start there?`);
  const lines: ServiceLogLine[] = [];
  for (const file of files) {
    readFileSync(join(logsDir, file), 'utf8')
      .split('\n')
      .forEach((text, i) => {
        if (text.trim() !== '') lines.push({ where: `${file}:${i + 1}`, text, entry: jsonObject(text) });
      });
  }
  return { files, lines };
}

/**
 * Every line of the services' logs in `logsDir` that is not one JSON object, as `file:line: text`
 * (the text cut at 200 characters). Empty when every line is JSON.
 */
export function nonJsonServiceLines(logsDir: string): string[] {
  return readServiceLogs(logsDir)
    .lines.filter((line) => line.entry === undefined)
    .map((line) => `${line.where}: ${line.text.slice(0, 200)}`);
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
