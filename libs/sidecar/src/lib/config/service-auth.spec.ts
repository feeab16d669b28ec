import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTestCertificates } from '../../../test/fixtures/certificates';
import { resolveAuthOptions } from '../auth/auth-options';
import { isInvalidOptionsError } from '../core/sidecar.error';
import { serviceAuthOptions } from './service-auth';

describe('serviceAuthOptions', () => {
  const token = 'service-auth-token-0123456789';

  it('is the token alone without GRPC_TLS_DIR (or with it empty)', () => {
    expect(serviceAuthOptions({ FAILSOFT_TOKEN: token })).toEqual({ token });
    expect(serviceAuthOptions({ FAILSOFT_TOKEN: token, GRPC_TLS_DIR: '' })).toEqual({ token });
  });

  it('is mutual TLS from the folder plus the token with GRPC_TLS_DIR, with the verified name when set', () => {
    expect(serviceAuthOptions({ FAILSOFT_TOKEN: token, GRPC_TLS_DIR: '/etc/tls', GRPC_TLS_SERVER_NAME: 'failsoft-internal' })).toEqual({
      tls: { ca: '/etc/tls/ca.crt', cert: '/etc/tls/tls.crt', key: '/etc/tls/tls.key', serverName: 'failsoft-internal' },
      token,
    });
  });

  it('loads a real folder, and names the missing file of a wrong one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'failsoft-service-auth-'));
    try {
      const certs = generateTestCertificates(join(dir, 'raw'));
      const tlsDir = join(dir, 'tls');
      mkdirSync(tlsDir);
      copyFileSync(certs.paths.ca, join(tlsDir, 'ca.crt'));
      copyFileSync(certs.paths.serverCert, join(tlsDir, 'tls.crt'));
      copyFileSync(certs.paths.serverKey, join(tlsDir, 'tls.key'));
      expect(resolveAuthOptions(serviceAuthOptions({ FAILSOFT_TOKEN: token, GRPC_TLS_DIR: tlsDir }))).toMatchObject({ mode: 'mtls', token });
      let error: unknown;
      try {
        resolveAuthOptions(serviceAuthOptions({ FAILSOFT_TOKEN: token, GRPC_TLS_DIR: join(dir, 'nope') }));
      } catch (e) {
        error = e;
      }
      expect(isInvalidOptionsError(error)).toBe(true);
      expect((error as Error).message).toBe(`auth.tls.ca must be PEM text or a readable file path; got ${JSON.stringify(join(dir, 'nope', 'ca.crt'))} (ENOENT)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
