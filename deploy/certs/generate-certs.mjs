#!/usr/bin/env node
// Generates the platform's internal PKI for mutual TLS, with nothing but Node (no openssl in the
// images): a one-shot job (the compose `certs` service runs it in the app image; run it by hand
// for any other setup; the X.509 code is x509.mjs beside it). Writes
//   OUT/ca/ca.crt, OUT/ca/ca.key            the CA (kept: a re-run issues nothing new)
//   OUT/<service>/ca.crt tls.crt tls.key    per service: the layout of a Kubernetes TLS Secret
// Each service certificate (ECDSA P-256, client and server auth) says who it is: CN=<service> and
// SAN URI spiffe://failsoft/<service> (the identity gRPC servers check permissions against), plus
// the names it is dialled by: DNS <service>, <service>-1..N, failsoft-internal (the name clients
// verify when GRPC_TLS_SERVER_NAME is set), localhost, IP 127.0.0.1.
// Usage: node generate-certs.mjs OUT upload,likes,feed,gateway [instances=2] [days=825]
// Env: CERTS_UID / CERTS_GID: owner of the service folders (the services' non-root user).
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CA_NAME, issueCa, issueServiceCertificate, SERVICE_NAME, SHARED_NAME, spiffeId } from './x509.mjs';

const [out, list, instancesArg = '2', daysArg = '825'] = process.argv.slice(2);
const fail = (message) => {
  process.stderr.write(`generate-certs: ${message}\n`);
  process.exit(2);
};
if (!out || !list) fail('usage: node generate-certs.mjs OUT upload,likes,feed,gateway [instances=2] [days=825]');
const services = list.split(/[ ,]+/).filter(Boolean);
for (const s of services) if (!SERVICE_NAME.test(s)) fail(`bad service name ${JSON.stringify(s)} (a-z, 0-9, -)`);
const instances = Number(instancesArg);
const days = Number(daysArg);
if (!Number.isInteger(instances) || instances < 1 || instances > 64) fail(`instances must be 1-64; got ${JSON.stringify(instancesArg)}`);
if (!Number.isInteger(days) || days < 1 || days > 3650) fail(`days must be 1-3650; got ${JSON.stringify(daysArg)}`);

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
  const ca = issueCa(days);
  caKey = ca.privateKey;
  writeFileSync(caKeyPath, ca.key, { mode: 0o600 });
  writeFileSync(caCertPath, ca.cert, { mode: 0o644 });
  process.stdout.write(`generate-certs: created the CA ${CA_NAME}\n`);
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
    const hosts = [service, ...Array.from({ length: instances }, (_, i) => `${service}-${i + 1}`), SHARED_NAME, 'localhost'];
    const issued = issueServiceCertificate({ service, hosts, ips: ['127.0.0.1'], caKey, days });
    writeFileSync(keyPath, issued.key, { mode: 0o600 });
    writeFileSync(certPath, issued.cert, { mode: 0o644 });
    process.stdout.write(`generate-certs: ${service} issued (CN=${service}; ${hosts.join(', ')}, 127.0.0.1, ${spiffeId(service)})\n`);
  }
  copyFileSync(caCertPath, join(dir, 'ca.crt'));
  chmodSync(join(dir, 'ca.crt'), 0o644);
  chmodSync(keyPath, 0o600);
  chmodSync(dir, 0o700);
  if (uid !== undefined) for (const path of [dir, join(dir, 'ca.crt'), certPath, keyPath]) chownSync(path, uid, gid);
}
chmodSync(out, 0o755);
process.stdout.write(`generate-certs: done in ${out}\n`);
