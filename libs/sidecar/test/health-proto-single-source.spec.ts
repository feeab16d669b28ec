import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { HEALTH_PROTO_PATH } from '../src/lib/health/health.service';

/**
 * Issue 15: one grpc.health.v1 proto in the repo, upstream's, kept by libs/contracts. The sidecar
 * loads that file (from sources) or the copy its build ships (tools/build.mjs SHARED_ASSETS).
 */
const WORKSPACE = join(__dirname, '..', '..', '..');
const THE_ONE = join('libs', 'contracts', 'src', 'proto', 'grpc', 'health', 'v1', 'health.proto');
// sha256 of grpc-proto's grpc/health/v1/health.proto (with Health.List), as libs/contracts checks
const UPSTREAM_SHA256 = '3600080a2b5b83ac9e90f0cac3ce4d97fa0a718639e6a380be3f839a019b3f07';
// build outputs, caches and installs: copies there are made by a build, never committed
const SKIPPED = new Set(['node_modules', 'dist', 'tmp', 'coverage', '.git', '.nx', 'test-artifacts']);

/** Every `.proto` under `root` named health.proto or declaring `package grpc.health.v1`, relative to `root`. */
function healthProtos(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIPPED.has(entry.name)) walk(join(dir, entry.name));
      } else if (entry.isFile() && entry.name.endsWith('.proto')) {
        const path = join(dir, entry.name);
        if (entry.name === 'health.proto' || /^package\s+grpc\.health\.v1\s*;/m.test(readFileSync(path, 'utf8'))) found.push(relative(root, path));
      }
    }
  };
  walk(root);
  return found.sort();
}

describe('grpc.health.v1 proto: one source of truth', () => {
  it('the repo holds exactly one health proto, libs/contracts\' copy of upstream', () => {
    expect(healthProtos(WORKSPACE)).toEqual([THE_ONE]);
  });

  it('the sidecar loads that file, byte-identical to upstream', () => {
    expect(relative(WORKSPACE, HEALTH_PROTO_PATH)).toBe(THE_ONE);
    expect(createHash('sha256').update(readFileSync(HEALTH_PROTO_PATH)).digest('hex')).toBe(UPSTREAM_SHA256);
  });

  it('negative control: a second copy (by name or by package, anywhere but build outputs) is found', () => {
    const root = mkdtempSync(join(tmpdir(), 'health-protos-'));
    try {
      for (const dir of ['libs/contracts/src/proto/grpc/health/v1', 'libs/sidecar/src/lib/health', 'apps/x/proto', 'dist/libs/sidecar', 'node_modules/grpc-health-check/proto']) {
        mkdirSync(join(root, dir), { recursive: true });
      }
      writeFileSync(join(root, THE_ONE), 'syntax = "proto3";\npackage grpc.health.v1;\n');
      writeFileSync(join(root, 'libs/sidecar/src/lib/health/health.proto'), 'syntax = "proto3";\npackage grpc.health.v1;\n');
      writeFileSync(join(root, 'apps/x/proto/probe.proto'), 'syntax = "proto3";\npackage grpc.health.v1;\n');
      writeFileSync(join(root, 'apps/x/proto/echo.proto'), 'syntax = "proto3";\npackage failsoft.echo.v1;\n');
      writeFileSync(join(root, 'dist/libs/sidecar/health.proto'), 'built');
      writeFileSync(join(root, 'node_modules/grpc-health-check/proto/health.proto'), 'installed');
      expect(healthProtos(root)).toEqual([['apps', 'x', 'proto', 'probe.proto'].join(sep), THE_ONE, ['libs', 'sidecar', 'src', 'lib', 'health', 'health.proto'].join(sep)].sort());
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
