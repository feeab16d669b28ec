import { Controller, Get, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawRequest as raw } from '../../../test/gateway-spec-support';
import { STATIC_CSP } from './static-files';
import { GATEWAY_WEB_MOUNTS } from './web-mounts';
import { WebModule } from './web.module';

/** A stand-in API route, to check the static middleware lets API requests through. */
@Controller('api')
class PingController {
  @Get('ping')
  ping(): { pong: true } {
    return { pong: true };
  }
}


async function startApp(module: ReturnType<typeof WebModule.forRoot>): Promise<{ app: INestApplication; url: string }> {
  const ref = await Test.createTestingModule({ imports: [module], controllers: [PingController] }).compile();
  const app = ref.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

describe('WebModule', () => {
  let dir: string;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'failsoft-web-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(dir, 'app.js'), 'export const x = 1;\n');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'a.css'), 'body{}');
    writeFileSync(join(dir, '.secret.js'), 'TOPSECRET');
    ({ app, url } = await startApp(WebModule.forRoot([{ prefix: '/app/', dir, pages: { '/': 'index.html' } }])));
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves pages and files with their type, a strict CSP, an ETag and no-cache', async () => {
    const page = await raw(url, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.text).toBe('<!doctype html><title>t</title>');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(STATIC_CSP);
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe|https?:/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['x-powered-by']).toBeUndefined();
    const js = await raw(url, 'GET', '/app/app.js');
    expect([js.status, js.headers['content-type'], js.text]).toEqual([200, 'text/javascript; charset=utf-8', 'export const x = 1;\n']);
    expect((await raw(url, 'GET', '/app/sub/a.css')).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers HEAD without a body and If-None-Match with 304', async () => {
    const head = await raw(url, 'HEAD', '/app/app.js');
    expect([head.status, head.text, head.headers['content-length']]).toEqual([200, '', '20']);
    const etag = String(head.headers['etag']);
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    const again = await raw(url, 'GET', '/app/app.js', { 'if-none-match': etag });
    expect([again.status, again.text]).toEqual([304, '']);
    expect((await raw(url, 'GET', '/app/app.js', { 'if-none-match': '"other"' })).status).toBe(200);
  });

  it('answers a missing file or a path trick with a 404 JSON error, and never serves outside the folder', async () => {
    for (const path of ['/app/missing.js', '/app/../package.json', '/app/%2e%2e/%2e%2e/package.json', '/app/sub%2f..%2f..%2fx.js', '/app/.secret.js', '/app/sub', '/app/sub/']) {
      const res = await raw(url, 'GET', path);
      expect({ path, status: res.status, type: res.headers['content-type'] }).toEqual({ path, status: 404, type: 'application/json; charset=utf-8' });
      expect(JSON.parse(res.text)).toEqual({ error: { code: 'NOT_FOUND', message: expect.stringMatching(/^there is no file /) } });
      expect(res.text).not.toContain('TOPSECRET');
    }
  });

  it('lets API requests and other methods through to the router', async () => {
    const ping = await raw(url, 'GET', '/api/ping');
    expect([ping.status, ping.text]).toEqual([200, '{"pong":true}']);
    expect((await raw(url, 'GET', '/api/nope')).status).toBe(404);
    expect((await raw(url, 'POST', '/')).status).toBe(404);
  });

  it('serves files from memory: a file added later is served, and a rebuilt (emptied) folder breaks nothing', async () => {
    writeFileSync(join(dir, 'later.js'), 'export const later = true;\n');
    expect((await raw(url, 'GET', '/app/later.js')).text).toBe('export const later = true;\n');
    rmSync(dir, { recursive: true, force: true }); // e.g. `node tools/build.mjs apps/gateway` under a running gateway
    for (const path of ['/', '/app/app.js', '/app/sub/a.css', '/app/later.js']) expect({ path, status: (await raw(url, 'GET', path)).status }).toEqual({ path, status: 200 });
    expect((await raw(url, 'GET', '/app/never-seen.js')).status).toBe(404);
  });

  it('refuses a bad mount with a message naming it', () => {
    expect(() => WebModule.forRoot([{ prefix: 'app', dir }])).toThrow(/prefix "app"/);
    expect(() => WebModule.forRoot([{ prefix: '/app/', dir: 'relative' }])).toThrow(/dir "relative"/);
    expect(() => WebModule.forRoot([{ prefix: '/app/', dir, pages: { '/': '../x.html' } }])).toThrow(/"\.\.\/x\.html"/);
  });
});

describe('the web app as the gateway serves it', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await startApp(WebModule.forRoot(GATEWAY_WEB_MOUNTS)));
  });

  afterAll(async () => {
    await app?.close();
  });

  it('serves the app at / and every script, style and image it references (all local: no CDN)', async () => {
    const page = await raw(url, 'GET', '/');
    expect(page.status).toBe(200);
    const refs = [...page.text.matchAll(/(?:src|href)="([^"#][^"]*)"/g)].map((m) => m[1]); // in-page #links aside
    expect(refs.length).toBeGreaterThanOrEqual(2);
    for (const ref of refs) {
      expect(ref).toMatch(/^\/app\//); // nothing from another origin
      expect({ ref, status: (await raw(url, 'GET', ref)).status }).toEqual({ ref, status: 200 });
    }
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline scripts (the CSP forbids them)
    expect(page.text).not.toMatch(/\sstyle="/); // no inline styles
  });

  it('serves every module the app imports', async () => {
    const seen = new Set<string>();
    const queue = ['/app/app.js'];
    while (queue.length > 0) {
      const path = queue.shift() as string;
      if (seen.has(path)) continue;
      seen.add(path);
      const res = await raw(url, 'GET', path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      for (const m of res.text.matchAll(/from '(\.\/[^']+)'/g)) queue.push(new URL(m[1], `http://x${path}`).pathname);
    }
    expect(seen.size).toBeGreaterThanOrEqual(2);
  });
});
