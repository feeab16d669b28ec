import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UPSTREAM_CODE_STATUS } from '../errors/upstream-error.mapper';
import { ERROR_CODES } from './openapi.document';

/** Every `.ts` source of the gateway app (specs excluded). */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('the OpenAPI document lists every error code the gateway answers', () => {
  it('has each code the gateway raises itself (ApiError, badRequest, <PART>_UNAVAILABLE)', () => {
    const raised = new Set<string>();
    for (const file of sources(join(__dirname, '..'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:ApiError\(\d+, ?|badRequest\([^;]*?, ?|code: )'([A-Z][A-Z0-9_]{2,})'/g)) raised.add(m[1]);
      for (const m of text.matchAll(/'([A-Z]+_UNAVAILABLE)'/g)) raised.add(m[1]);
    }
    expect(raised.size).toBeGreaterThan(20); // the scan found the gateway's codes
    expect([...raised].filter((code) => !(ERROR_CODES as readonly string[]).includes(code)).sort()).toEqual([]);
  });

  it('has each code it relays from the services', () => {
    expect(Object.keys(UPSTREAM_CODE_STATUS).filter((code) => !(ERROR_CODES as readonly string[]).includes(code))).toEqual([]);
  });
});
