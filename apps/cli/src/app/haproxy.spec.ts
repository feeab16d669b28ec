import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHaproxyConfig, findHaproxy, haproxyConfig, missingHaproxyWarning } from './haproxy';

const input = {
  frontDoorPort: 8080,
  statsPort: 40100,
  gateways: [
    { id: 'gateway-1', host: '127.0.0.1', port: 40001 },
    { id: 'gateway-2', host: '127.0.0.1', port: 40002 },
  ],
};

describe('haproxy front door config', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'failsoft-cli-haproxy-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has a frontend on the front door port and both gateways health-checked on /readyz', () => {
    const config = haproxyConfig(input);
    expect(config).toContain('bind 127.0.0.1:8080');
    expect(config).toContain('option httpchk GET /readyz');
    expect(config).toContain('default-server inter 500 fall 2 rise 2');
    expect(config).toContain('server gateway-1 127.0.0.1:40001 check');
    expect(config).toContain('server gateway-2 127.0.0.1:40002 check');
  });

  it('retries failed requests on the other gateway so killing one is invisible', () => {
    const config = haproxyConfig(input);
    expect(config).toMatch(/^\s+retry-on conn-failure empty-response response-timeout 503$/m);
    expect(config).toMatch(/^\s+option redispatch 1$/m);
    expect(config).toMatch(/^\s+retries 2$/m);
  });

  it('bounds the wait on a hung gateway by the gateway deadlines, and repeats a post only with an Idempotency-Key', () => {
    const config = haproxyConfig(input);
    expect(config).toMatch(/^\s+timeout server 10s$/m);
    expect(config).toMatch(/^\s+option http-buffer-request$/m);
    expect(config).toMatch(/^\s+http-request set-timeout server 3s if METH_GET !\{ path_end \/image \}$/m);
    expect(config).toMatch(/^\s+http-request set-timeout server 4s if \{ path_end \/likes \}$/m);
    expect(config).toMatch(/^\s+http-request disable-l7-retry if METH_POST \{ path \/api\/posts \} !\{ req.hdr\(idempotency-key\) -m found \}$/m);
  });

  it('answers a JSON 503 with Retry-After when no gateway is ready, and serves a stats page', () => {
    const config = haproxyConfig(input);
    expect(config).toMatch(/http-error status 503 content-type application\/json hdr Retry-After 1 string '\{"error":\{"code":"NO_GATEWAY"/);
    expect(config).toContain('bind 127.0.0.1:40100');
    expect(haproxyConfig({ ...input, statsPort: undefined })).not.toContain('stats enable');
  });

  it('rejects bad input naming it', () => {
    expect(() => haproxyConfig({ ...input, frontDoorPort: 0 })).toThrow(/frontDoorPort must be a port from 1 to 65535; got 0/);
    expect(() => haproxyConfig({ ...input, gateways: [] })).toThrow(/at least one gateway/);
    expect(() => haproxyConfig({ ...input, gateways: [{ id: 'bad id', host: '127.0.0.1', port: 1 }] })).toThrow(/gateway id/);
  });

  // never skipped: `npm start`'s front door is HAProxy, and .ci/run installs it
  it('is accepted by `haproxy -c -f` (haproxy is required)', () => {
    const haproxy = findHaproxy();
    if (!haproxy) throw new Error('haproxy is not installed, and this check needs it (it is the front door of `npm start`): sudo apt-get install haproxy, or set HAPROXY_BIN');
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, haproxyConfig(input));
    const result = checkHaproxyConfig(haproxy, file);
    expect(result.output).toMatch(/valid/i);
    expect(result.ok).toBe(true);
  });

  it('finds haproxy on the search path, honours HAPROXY_BIN, and reports none when absent', () => {
    const fake = join(dir, 'haproxy');
    writeFileSync(fake, '#!/bin/sh\n');
    chmodSync(fake, 0o755);
    expect(findHaproxy(dir, undefined)).toBe(fake);
    expect(findHaproxy('/nonexistent', fake)).toBe(fake);
    expect(findHaproxy(dir, '')).toBeUndefined(); // HAPROXY_BIN= disables it
    expect(findHaproxy(dir, join(dir, 'missing'))).toBeUndefined();
  });

  it('explains the fallback when haproxy is missing: install command and no failover', () => {
    const warning = missingHaproxyWarning('http://127.0.0.1:40001');
    expect(warning).toContain('sudo apt-get install haproxy');
    expect(warning).toContain('http://127.0.0.1:40001');
    expect(warning).toMatch(/no failover between gateways/);
  });
});
