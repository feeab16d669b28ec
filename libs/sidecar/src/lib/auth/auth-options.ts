import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InvalidOptionsError } from '../core/sidecar.error';

/**
 * PEM material: a Buffer or string holding PEM text (`-----BEGIN ...`), or a string naming a file
 * that holds it. A string is PEM text when it contains `-----BEGIN`; otherwise it is a path, read
 * once (synchronously) when the options are validated.
 */
export type PemSource = Buffer | string;

/** Mutual TLS material of this process. */
export interface TlsAuthOptions {
  /** CA certificate(s) that signed the peers' certificates (trust anchor). */
  ca: PemSource;
  /** This process's certificate chain (server certificate on servers, client certificate on clients). */
  cert: PemSource;
  /** Private key of `cert`. */
  key: PemSource;
  /**
   * Client side only: the name to verify in the server certificate instead of the dialled host
   * (for servers whose certificates do not name the address clients dial).
   */
  serverName?: string;
}

/**
 * How internal calls are authenticated:
 * - `{ token }`: plaintext gRPC with a shared bearer token (`authorization: Bearer <token>`);
 * - `{ tls, token? }`: mutual TLS (clients must present a certificate signed by `tls.ca`); with a
 *   token as well, both are required.
 */
export type AuthOptions = { token: string; tls?: undefined } | { tls: TlsAuthOptions; token?: string };

/** Auth options after validation: PEM material loaded into Buffers. */
export interface ResolvedAuth {
  /** `token` (shared token only) or `mtls` (mutual TLS, maybe plus token). */
  readonly mode: 'token' | 'mtls';
  /** The shared token, when configured. */
  readonly token?: string;
  /** The loaded TLS material, in `mtls` mode. */
  readonly tls?: { readonly ca: Buffer; readonly cert: Buffer; readonly key: Buffer; readonly serverName?: string };
}

const resolvedCache = new WeakMap<object, ResolvedAuth>();
const TOKEN = /^[\x21-\x7e]+$/;

/**
 * Validates auth options and loads their PEM material (files read once per options object).
 * Error messages name the option and never echo a token.
 * @throws InvalidOptionsError naming the bad option.
 */
export function resolveAuthOptions(auth: AuthOptions, name = 'auth'): ResolvedAuth {
  if (typeof auth === 'object' && auth !== null && resolvedCache.has(auth)) return resolvedCache.get(auth) as ResolvedAuth;
  if (typeof auth !== 'object' || auth === null || Array.isArray(auth)) {
    throw new InvalidOptionsError(`${name} must be { token } or { tls: { ca, cert, key }, token? }; got ${describe(auth)}`);
  }
  const raw = auth as { token?: unknown; tls?: unknown };
  if (raw.token === undefined && raw.tls === undefined) {
    throw new InvalidOptionsError(`${name} must be { token } or { tls: { ca, cert, key }, token? }; got an object with keys ${JSON.stringify(Object.keys(raw))}`);
  }
  let token: string | undefined;
  if (raw.token !== undefined) {
    if (typeof raw.token !== 'string' || !TOKEN.test(raw.token)) {
      throw new InvalidOptionsError(
        `${name}.token must be a non-empty string of visible ASCII characters (no spaces); got ${typeof raw.token === 'string' ? `a string of ${raw.token.length} characters that is not` : describe(raw.token)}`,
      );
    }
    token = raw.token;
  }
  let resolved: ResolvedAuth;
  if (raw.tls === undefined) {
    resolved = { mode: 'token', token };
  } else {
    if (typeof raw.tls !== 'object' || raw.tls === null || Array.isArray(raw.tls)) {
      throw new InvalidOptionsError(`${name}.tls must be { ca, cert, key }; got ${describe(raw.tls)}`);
    }
    const tls = raw.tls as Record<string, unknown>;
    const ca = loadPem(`${name}.tls.ca`, tls['ca']);
    const cert = loadPem(`${name}.tls.cert`, tls['cert']);
    const key = loadPem(`${name}.tls.key`, tls['key']);
    checkCertificate(`${name}.tls.ca`, ca);
    const certificate = checkCertificate(`${name}.tls.cert`, cert);
    let privateKey;
    try {
      privateKey = createPrivateKey(key);
    } catch (error) {
      throw new InvalidOptionsError(`${name}.tls.key must be a PEM private key; it could not be parsed: ${(error as Error).message}`);
    }
    if (!certificate.checkPrivateKey(privateKey)) {
      throw new InvalidOptionsError(`${name}.tls.key does not match ${name}.tls.cert (subject ${JSON.stringify(certificate.subject.replace(/\n/g, ', '))})`);
    }
    const serverName = tls['serverName'];
    if (serverName !== undefined && (typeof serverName !== 'string' || serverName.trim() === '')) {
      throw new InvalidOptionsError(`${name}.tls.serverName must be a non-empty string; got ${describe(serverName)}`);
    }
    resolved = { mode: 'mtls', token, tls: { ca, cert, key, serverName: serverName as string | undefined } };
  }
  resolvedCache.set(auth, resolved);
  return resolved;
}

function loadPem(name: string, value: unknown): Buffer {
  if (Buffer.isBuffer(value)) {
    if (!value.includes('-----BEGIN')) throw new InvalidOptionsError(`${name} must hold PEM text (-----BEGIN ...); got a Buffer of ${value.length} bytes without it`);
    return value;
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidOptionsError(`${name} must be PEM text, a Buffer or a file path; got ${describe(value)}`);
  }
  if (value.includes('-----BEGIN')) return Buffer.from(value);
  let content: Buffer;
  try {
    content = readFileSync(value);
  } catch (error) {
    throw new InvalidOptionsError(`${name} must be PEM text or a readable file path; got ${JSON.stringify(value)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (!content.includes('-----BEGIN')) {
    throw new InvalidOptionsError(`${name} names file ${JSON.stringify(value)}, which does not hold PEM text (-----BEGIN ...)`);
  }
  return content;
}

function checkCertificate(name: string, pem: Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new InvalidOptionsError(`${name} must be a PEM certificate; it could not be parsed: ${(error as Error).message}`);
  }
}

/** Describes a bad value without echoing secrets: type and size only for strings. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (typeof value === 'object') return `an object with keys ${JSON.stringify(Object.keys(value as object))}`;
  return `${typeof value} ${String(value)}`;
}
