import { Metadata } from '@grpc/grpc-js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isInvalidOptionsError } from '../core/sidecar.error';
import { generateTestCertificates, type TestCertificates } from '../../../test/fixtures/certificates';
import { resolveAuthOptions, type AuthOptions } from './auth-options';
import { authenticate, Authenticator } from './authenticator';
import { authMetadata } from './credentials';
import { isUnauthenticatedError } from './unauthenticated.error';

function messageOf(auth: unknown): string {
  try {
    resolveAuthOptions(auth as AuthOptions);
  } catch (error) {
    expect(isInvalidOptionsError(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected resolveAuthOptions to throw');
}

describe('auth options', () => {
  let dir: string;
  let certs: TestCertificates;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'failsoft-auth-'));
    certs = generateTestCertificates(join(dir, 'certs'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a token', () => {
    expect(resolveAuthOptions({ token: 'secret-token' })).toEqual({ mode: 'token', token: 'secret-token' });
  });

  it('accepts TLS material as Buffers, PEM strings or file paths, plus an optional token', () => {
    const fromBuffers = resolveAuthOptions({ tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey } });
    const fromText = resolveAuthOptions({ tls: { ca: certs.ca.toString(), cert: certs.serverCert.toString(), key: certs.serverKey.toString() } });
    const fromPaths = resolveAuthOptions({ tls: { ca: certs.paths.ca, cert: certs.paths.serverCert, key: certs.paths.serverKey }, token: 't0ken' });
    expect(fromBuffers.mode).toBe('mtls');
    expect(fromText.tls?.cert.equals(certs.serverCert)).toBe(true);
    expect(fromPaths.tls?.key.equals(certs.serverKey)).toBe(true);
    expect(fromPaths.token).toBe('t0ken');
  });

  it.each([
    [undefined, 'auth must be { token } or { tls: { ca, cert, key }, token? }; got undefined undefined'],
    [{}, 'auth must be { token } or { tls: { ca, cert, key }, token? }; got an object with keys []'],
    [{ tok: 'x' }, 'auth must be { token } or { tls: { ca, cert, key }, token? }; got an object with keys ["tok"]'],
    [{ token: '' }, 'auth.token must be a non-empty string of visible ASCII characters (no spaces); got a string of 0 characters that is not'],
    [{ token: 42 }, 'auth.token must be a non-empty string of visible ASCII characters (no spaces); got number 42'],
    [{ tls: 'yes' }, 'auth.tls must be { ca, cert, key }; got a string of 3 characters'],
  ])('rejects %j with a clear message', (auth, message) => {
    expect(messageOf(auth)).toBe(message);
  });

  it('never echoes a bad token in the message', () => {
    expect(messageOf({ token: 'super secret' })).not.toContain('super secret');
  });

  it('names the unreadable file, the non-PEM content and a mismatched key', () => {
    expect(messageOf({ tls: { ca: '/nope/ca.crt', cert: certs.serverCert, key: certs.serverKey } })).toBe(
      'auth.tls.ca must be PEM text or a readable file path; got "/nope/ca.crt" (ENOENT)',
    );
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    expect(messageOf({ tls: { ca: certs.ca, cert: notPem, key: certs.serverKey } })).toBe(`auth.tls.cert names file ${JSON.stringify(notPem)}, which does not hold PEM text (-----BEGIN ...)`);
    expect(messageOf({ tls: { ca: certs.ca, cert: certs.serverCert, key: certs.clientKey } })).toBe('auth.tls.key does not match auth.tls.cert (subject "CN=localhost")');
    expect(messageOf({ tls: { ca: certs.ca, cert: certs.serverCert } })).toBe('auth.tls.key must be PEM text, a Buffer or a file path; got undefined undefined');
    expect(messageOf({ tls: { ca: '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----', cert: certs.serverCert, key: certs.serverKey } })).toMatch(
      /^auth\.tls\.ca must be a PEM certificate; it could not be parsed: /,
    );
  });
});

describe('Authenticator (token mode)', () => {
  const authenticator = new Authenticator({ token: 'right-token' });
  const call = (entries: Record<string, string>) => {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
    return { metadata };
  };

  it('returns the claimed caller when the token matches', () => {
    expect(authenticator.authenticate({ metadata: authMetadata({ token: 'right-token' }, 'feed', 'feed-1') })).toBe('feed');
  });

  it.each([
    [{}, 'missing authorization metadata (expected "Bearer <token>")'],
    [{ authorization: 'Bearer wrong-token' }, 'invalid token in authorization metadata'],
    [{ authorization: 'right-token' }, 'invalid token in authorization metadata'],
    [{ authorization: 'Bearer right-token-and-more' }, 'invalid token in authorization metadata'],
  ])('rejects %j', (entries, message) => {
    let error: unknown;
    try {
      authenticator.authenticate(call(entries));
    } catch (e) {
      error = e;
    }
    expect(isUnauthenticatedError(error)).toBe(true);
    expect((error as Error).message).toBe(message);
  });

  it('offers a one-call authenticate(call, auth) for handlers outside SidecarServer', () => {
    const auth = { token: 'right-token' };
    expect(authenticate({ metadata: authMetadata(auth, 'likes', 'likes-2') }, auth)).toBe('likes');
    expect(() => authenticate(call({ authorization: 'Bearer nope' }), auth)).toThrow('invalid token in authorization metadata');
  });

  it('builds client metadata once, to be cloned per call', () => {
    const metadata = authMetadata({ token: 'right-token' }, 'feed', 'feed-1');
    expect(metadata.getMap()).toEqual({ authorization: 'Bearer right-token', 'x-failsoft-caller': 'feed', 'x-failsoft-caller-instance': 'feed-1' });
    expect(() => authMetadata({ token: 'right-token' }, '', 'x')).toThrow('callerService must be a non-empty string; got ""');
  });
});
