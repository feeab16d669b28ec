#!/usr/bin/env node
// Generates the platform's internal PKI for mutual TLS, with nothing but Node (no openssl in the
// images): a one-shot job (the compose `certs` service runs it in the app image; run it by hand
// for any other setup). Writes
//   OUT/ca/ca.crt, OUT/ca/ca.key            the CA (kept: a re-run issues nothing new)
//   OUT/<service>/ca.crt tls.crt tls.key    per service: the layout of a Kubernetes TLS Secret
// Each service certificate (ECDSA P-256, client and server auth) says who it is: CN=<service> and
// SAN URI spiffe://failsoft/<service> (the identity gRPC servers check permissions against), plus
// the names it is dialled by: DNS <service>, <service>-1..N, failsoft-internal (the name clients
// verify when GRPC_TLS_SERVER_NAME is set), localhost, IP 127.0.0.1.
// Usage: node generate-certs.mjs OUT upload,likes,feed,gateway [instances=2] [days=825]
// Env: CERTS_UID / CERTS_GID: owner of the service folders (the services' non-root user).
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [out, list, instancesArg = '2', daysArg = '825'] = process.argv.slice(2);
const fail = (message) => {
  process.stderr.write(`generate-certs: ${message}\n`);
  process.exit(2);
};
if (!out || !list) fail('usage: node generate-certs.mjs OUT upload,likes,feed,gateway [instances=2] [days=825]');
const services = list.split(/[ ,]+/).filter(Boolean);
for (const s of services) if (!/^[a-z][a-z0-9-]{0,62}$/.test(s)) fail(`bad service name ${JSON.stringify(s)} (a-z, 0-9, -)`);
const instances = Number(instancesArg);
const days = Number(daysArg);
if (!Number.isInteger(instances) || instances < 1 || instances > 64) fail(`instances must be 1-64; got ${JSON.stringify(instancesArg)}`);
if (!Number.isInteger(days) || days < 1 || days > 3650) fail(`days must be 1-3650; got ${JSON.stringify(daysArg)}`);

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

function certificate({ subject, issuer, publicKey, signingKey, ca, altNames }) {
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
    seq(time(new Date(now - 5 * 60_000)), time(new Date(now + days * 86_400_000))),
    name(subject),
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, signingKey);
  const der = seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.from([0]), signature));
  const body = der.toString('base64').match(/.{1,64}/g).join('\n');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

const dns = (host) => tlv(0x82, Buffer.from(host, 'ascii'));
const uri = (text) => tlv(0x86, Buffer.from(text, 'ascii'));
const ip4 = (address) => tlv(0x87, Buffer.from(address.split('.').map(Number)));
const newKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

// ---- the CA (kept across runs) ----
const caDir = join(out, 'ca');
mkdirSync(caDir, { recursive: true, mode: 0o700 });
const caCertPath = join(caDir, 'ca.crt');
const caKeyPath = join(caDir, 'ca.key');
let caKey;
if (existsSync(caCertPath) && existsSync(caKeyPath)) {
  caKey = createPrivateKey(readFileSync(caKeyPath));
  if (!new X509Certificate(readFileSync(caCertPath)).checkPrivateKey(caKey)) fail(`${caKeyPath} does not match ${caCertPath}; remove both to make a new CA`);
} else {
  const { publicKey, privateKey } = newKey();
  caKey = privateKey;
  writeFileSync(caKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(caCertPath, certificate({ subject: 'failsoft-internal-ca', issuer: 'failsoft-internal-ca', publicKey, signingKey: privateKey, ca: true }), { mode: 0o644 });
  process.stdout.write('generate-certs: created the CA failsoft-internal-ca\n');
}
const caCert = new X509Certificate(readFileSync(caCertPath));

// ---- one certificate per service ----
const uid = process.env.CERTS_UID ? Number(process.env.CERTS_UID) : undefined;
const gid = process.env.CERTS_GID ? Number(process.env.CERTS_GID) : uid;
for (const service of services) {
  const dir = join(out, service);
  mkdirSync(dir, { recursive: true });
  const certPath = join(dir, 'tls.crt');
  const keyPath = join(dir, 'tls.key');
  let keep = false;
  if (existsSync(certPath) && existsSync(keyPath)) {
    const current = new X509Certificate(readFileSync(certPath));
    keep = current.verify(caCert.publicKey) && current.checkPrivateKey(createPrivateKey(readFileSync(keyPath))) && Date.parse(current.validTo) > Date.now() + 7 * 86_400_000;
  }
  if (keep) {
    process.stdout.write(`generate-certs: ${service} kept\n`);
  } else {
    const { publicKey, privateKey } = newKey();
    const hosts = [service, ...Array.from({ length: instances }, (_, i) => `${service}-${i + 1}`), 'failsoft-internal', 'localhost'];
    const altNames = [...hosts.map(dns), ip4('127.0.0.1'), uri(`spiffe://failsoft/${service}`)];
    writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(certPath, certificate({ subject: service, issuer: 'failsoft-internal-ca', publicKey, signingKey: caKey, altNames }), { mode: 0o644 });
    process.stdout.write(`generate-certs: ${service} issued (CN=${service}; ${hosts.join(', ')}, 127.0.0.1, spiffe://failsoft/${service})\n`);
  }
  copyFileSync(caCertPath, join(dir, 'ca.crt'));
  chmodSync(join(dir, 'ca.crt'), 0o644);
  chmodSync(keyPath, 0o600);
  chmodSync(dir, 0o700);
  if (uid !== undefined) for (const path of [dir, join(dir, 'ca.crt'), certPath, keyPath]) chownSync(path, uid, gid);
}
chmodSync(out, 0o755);
process.stdout.write(`generate-certs: done in ${out}\n`);
