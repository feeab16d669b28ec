import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgress, staleServices } from './build';

describe('build check', () => {
  let ws: string;
  beforeEach(() => {
    ws = mkdtempSync(join(tmpdir(), 'failsoft-cli-build-'));
  });
  afterEach(() => rmSync(ws, { recursive: true, force: true }));

  const write = (path: string, mtimeSec: number): void => {
    mkdirSync(join(ws, path, '..'), { recursive: true });
    writeFileSync(join(ws, path), 'x');
    utimesSync(join(ws, path), mtimeSec, mtimeSec);
  };

  it('finds services whose dist is missing or older than their sources (specs and the test harness do not count)', () => {
    for (const svc of ['likes', 'feed']) write(`apps/${svc}/src/main.ts`, 1000);
    write('libs/sidecar/src/index.ts', 1000);
    write('dist/apps/likes/apps/likes/src/main.js', 2000);
    for (const dir of ['apps/likes/src', 'apps/likes', 'apps/feed/src', 'apps/feed', 'libs/sidecar/src', 'libs/sidecar', 'libs']) utimesSync(join(ws, dir), 1000, 1000);
    expect(staleServices(ws, ['likes', 'feed'])).toEqual(['feed']); // feed was never built
    write('apps/likes/src/app/x.spec.ts', 3000);
    write('libs/testing/src/index.ts', 3000);
    utimesSync(join(ws, 'apps/likes/src'), 1000, 1000);
    utimesSync(join(ws, 'apps/likes/src/app'), 1000, 1000);
    expect(staleServices(ws, ['likes'])).toEqual([]);
    write('libs/sidecar/src/lib.ts', 3000);
    expect(staleServices(ws, ['likes'])).toEqual(['likes']);
  });

  it('turns nx output into short progress lines', () => {
    expect(buildProgress('> nx run likes:build  [local cache]')).toBe('[build] likes: up to date (nx cache)');
    expect(buildProgress('> nx run likes:build  [existing outputs match the cache, left as is]')).toBe('[build] likes: up to date (nx cache)');
    expect(buildProgress('> nx run gateway:build')).toBe('[build] gateway: building...');
    expect(buildProgress('gateway: build apps/gateway: done -> dist/apps/gateway')).toBe('[build] gateway: built');
    expect(buildProgress('build libs/testing: tsc')).toBeUndefined();
  });
});
