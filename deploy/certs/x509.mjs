// X.509 for the platform's internal PKI with nothing but node:crypto (no openssl in the images):
// ECDSA P-256 keys, the CA certificate and per-service certificates (client and server auth).
// Shared by the two one-shot jobs that make the PKI:
//   generate-certs.mjs  files in a folder (the compose `certs` service)
//   k8s-secrets.mjs     Kubernetes Secrets (the Job of deploy/k8s/components/mtls-job)
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

/** The CA's common name (and the Secret name of the CA in Kubernetes, as cert-manager names it). */
export const CA_NAME = 'failsoft-internal-ca';
/** The name every service certificate carries, which clients verify when GRPC_TLS_SERVER_NAME is set. */
export const SHARED_NAME = 'failsoft-internal';
/** A valid service name (a DNS label). */
export const SERVICE_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const DAY_MS = 86_400_000;

// ---- DER, just what an X.509 certificate needs ----
const len = (n) => (n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]));
const tlv = (tag, ...parts) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
};
const seq = (...parts) => tlv(0x30, ...parts);
const oid = (dotted) => {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [a * 40 + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
};
const utf8 = (text) => tlv(0x0c, Buffer.from(text, 'utf8'));
const time = (date) => tlv(0x17, Buffer.from(date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'));
const name = (cn) => seq(tlv(0x31, seq(oid('2.5.4.3'), utf8(cn))));
const extension = (id, critical, value) => seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const dns = (host) => tlv(0x82, Buffer.from(host, 'ascii'));
const uri = (text) => tlv(0x86, Buffer.from(text, 'ascii'));
const ip4 = (address) => tlv(0x87, Buffer.from(address.split('.').map(Number)));

function certificate({ subject, issuer, publicKey, signingKey, ca, altNames, days }) {
  const serial = randomBytes(12);
  serial[0] &= 0x7f;
  serial[0] |= 0x01;
  const now = Date.now();
  const extensions = ca
    ? [extension('2.5.29.19', true, seq(tlv(0x01, Buffer.from([0xff])))), extension('2.5.29.15', true, tlv(0x03, Buffer.from([0x01, 0x06])))]
    : [
        extension('2.5.29.19', true, seq()),
        extension('2.5.29.15', true, tlv(0x03, Buffer.from([0x07, 0x80]))),
        extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.5.5.7.3.2'))),
        extension('2.5.29.17', false, seq(...altNames)),
      ];
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, serial),
    ECDSA_SHA256,
    name(issuer),
    seq(time(new Date(now - 5 * 60_000)), time(new Date(now + days * DAY_MS))),
    name(subject),
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, signingKey);
  const der = seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.from([0]), signature));
  const body = der.toString('base64').match(/.{1,64}/g).join('\n');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

const newKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const pkcs8 = (privateKey) => privateKey.export({ type: 'pkcs8', format: 'pem' });

/** The identity of `service` in its certificate (SAN URI), which the gRPC servers check. */
export const spiffeId = (service) => `spiffe://failsoft/${service}`;

/**
 * A new self-signed CA (CN failsoft-internal-ca) valid for `days`.
 * @returns {{ cert: string, key: string, privateKey: import('node:crypto').KeyObject }} PEM certificate, PEM key (PKCS#8), the key
 */
export function issueCa(days) {
  const { publicKey, privateKey } = newKey();
  const cert = certificate({ subject: CA_NAME, issuer: CA_NAME, publicKey, signingKey: privateKey, ca: true, days });
  return { cert, key: pkcs8(privateKey), privateKey };
}

/**
 * A new certificate for `service`, signed by the CA key `caKey`, valid for `days`: CN=<service>,
 * SAN DNS `hosts`, IP `ips` (IPv4), URI spiffe://failsoft/<service>; client and server auth.
 * @returns {{ cert: string, key: string }} PEM certificate and PEM key (PKCS#8)
 */
export function issueServiceCertificate({ service, hosts, ips = [], caKey, days }) {
  const { publicKey, privateKey } = newKey();
  const altNames = [...hosts.map(dns), ...ips.map(ip4), uri(spiffeId(service))];
  const cert = certificate({ subject: service, issuer: CA_NAME, publicKey, signingKey: caKey, altNames, days });
  return { cert, key: pkcs8(privateKey) };
}
