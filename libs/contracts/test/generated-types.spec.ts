import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { GENERATED_DIR, generateTypes, genTypesFlags } from '../scripts/generate-types';

/** Every file under `dir` (relative paths, sorted) with its content. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (at: string): void => {
    for (const entry of readdirSync(at)) {
      const path = join(at, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return files;
}

describe('generated types', () => {
  it('are up to date with the .proto files (else run `npx nx run contracts:generate`)', () => {
    const fresh = mkdtempSync(join(tmpdir(), 'contracts-gen-'));
    try {
      generateTypes(fresh);
      const expected = snapshot(fresh);
      const committed = snapshot(GENERATED_DIR);
      expect(expected.size).toBeGreaterThan(20);
      expect([...committed.keys()].sort()).toEqual([...expected.keys()].sort());
      const stale = [...expected].filter(([file, text]) => committed.get(file) !== text).map(([file]) => file);
      expect(stale).toEqual([]);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('are generated with flags equal to PROTO_LOADER_OPTIONS', () => {
    expect(genTypesFlags()).toEqual(['--longs=String', '--enums=String', '--defaults', '--oneofs']);
    expect(genTypesFlags({ keepCase: true, longs: Number })).toEqual(['--keepCase', '--longs=Number']);
    expect(() => genTypesFlags({ bytes: String })).toThrow(/bytes has no proto-loader-gen-types flag/);
    expect(() => genTypesFlags({ enums: Number })).toThrow(/enums must be String/);
  });
});
