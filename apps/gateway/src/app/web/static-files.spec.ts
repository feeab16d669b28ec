import { resolveStatic, validateMount } from './static-files';

describe('resolveStatic', () => {
  const mounts = [{ prefix: '/app/', dir: '/srv/web', pages: { '/': 'index.html' } }];

  it('maps pages and files under a prefix, with their content types', () => {
    expect(resolveStatic(mounts, '/')).toEqual({ kind: 'file', path: '/srv/web/index.html', contentType: 'text/html; charset=utf-8', page: true });
    expect(resolveStatic(mounts, '/app/app.js')).toMatchObject({ kind: 'file', path: '/srv/web/app.js', contentType: 'text/javascript; charset=utf-8' });
    expect(resolveStatic(mounts, '/app/img/logo%20big.svg')).toMatchObject({ kind: 'file', path: '/srv/web/img/logo big.svg', contentType: 'image/svg+xml' });
  });

  it('leaves every other path to the API', () => {
    for (const path of ['/api/feed', '/api/nope', '/livez', '/application', '/app']) expect(resolveStatic(mounts, path)).toEqual({ kind: 'none' });
  });

  it('refuses path tricks, hidden files and types it does not serve', () => {
    for (const path of ['/app/../secret.js', '/app/%2e%2e/x.js', '/app/a%2f..%2f..%2fx.js', '/app/a%5c..%5cx.js', '/app/.env', '/app/x%00.js', '/app/a//b.js', '/app/', '/app/%zz.js', '/app/main.ts', '/app/noext']) {
      expect(resolveStatic(mounts, path)).toMatchObject({ kind: 'refused' });
    }
  });
});

describe('validateMount', () => {
  it('accepts a well-formed mount and names what is wrong with a bad one', () => {
    expect(validateMount({ prefix: '/app/', dir: '/srv/web', pages: { '/': 'index.html' } }).prefix).toBe('/app/');
    expect(() => validateMount({ prefix: '/app', dir: '/srv/web' })).toThrow(/prefix "\/app"/);
    expect(() => validateMount({ prefix: '/app/', dir: '/srv/web', pages: { '/': 'index.php' } })).toThrow(/"index\.php"/);
    expect(() => validateMount({ prefix: '/app/', dir: '/srv/web', pages: { x: 'index.html' } })).toThrow(/page "x"/);
  });
});
