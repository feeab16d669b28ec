#!/usr/bin/env node
// The one-shot Job of deploy/k8s/components/mtls-job: makes the platform's internal PKI as
// Kubernetes Secrets, through the API server with the pod's service-account token (Node's https;
// no kubectl in the image). The same Secrets, names and keys as components/mtls-cert-manager:
//   failsoft-internal-ca   the CA (tls.crt, tls.key, ca.crt; kept while valid for longer than a
//                          new service certificate would be)
//   <service>-grpc-tls     per service: ca.crt, tls.crt, tls.key (type kubernetes.io/tls), CN and SAN
//                          URI spiffe://failsoft/<service>, DNS <service> and failsoft-internal
// Idempotent, like the compose `certs` job: a run keeps every valid Secret and replaces a service
// certificate that expires within RENEW_BEFORE_DAYS, is signed by another CA, or does not name its
// service. Pods read their certificate when they start: restart the apps after a replacement.
// Usage: node k8s-secrets.mjs upload,likes,feed,gateway [days=825]
// Env: KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT (set in every pod): the API server;
//   SERVICE_ACCOUNT_DIR (default /var/run/secrets/kubernetes.io/serviceaccount): token, ca.crt,
//   namespace; RENEW_BEFORE_DAYS (default 30). Exit 0: done; 2: bad input; 1: the API failed.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { CA_NAME, issueCa, issueServiceCertificate, SERVICE_NAME, SHARED_NAME, spiffeId } from './x509.mjs';

const CA_DAYS = 3650;
const DAY_MS = 86_400_000;
const say = (line) => process.stdout.write(`k8s-secrets: ${line}\n`);
const fail = (code, message) => {
  process.stderr.write(`k8s-secrets: ${message}\n`);
  process.exit(code);
};

/** The arguments and environment, checked. */
function settings() {
  const [list, daysArg = '825'] = process.argv.slice(2);
  if (!list) fail(2, 'usage: node k8s-secrets.mjs upload,likes,feed,gateway [days=825]');
  const services = list.split(/[ ,]+/).filter(Boolean);
  for (const s of services) if (!SERVICE_NAME.test(s)) fail(2, `bad service name ${JSON.stringify(s)} (a-z, 0-9, -)`);
  const days = Number(daysArg);
  const renewArg = process.env.RENEW_BEFORE_DAYS ?? '30';
  const renewDays = Number(renewArg);
  if (!Number.isInteger(days) || days < 2 || days > CA_DAYS / 2) fail(2, `days must be 2-${CA_DAYS / 2}; got ${JSON.stringify(daysArg)}`);
  if (!Number.isInteger(renewDays) || renewDays < 1 || renewDays >= days) fail(2, `RENEW_BEFORE_DAYS must be 1 to days-1 (${days - 1}); got ${JSON.stringify(renewArg)}`);
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = Number(process.env.KUBERNETES_SERVICE_PORT ?? '443');
  if (!host) fail(2, 'KUBERNETES_SERVICE_HOST is not set: run this inside a pod (the Job of deploy/k8s/components/mtls-job), where Kubernetes sets it');
  const dir = process.env.SERVICE_ACCOUNT_DIR ?? '/var/run/secrets/kubernetes.io/serviceaccount';
  const read = (file) => {
    try {
      return readFileSync(join(dir, file), 'utf8').trim();
    } catch (error) {
      return fail(2, `cannot read the service-account ${file} ${join(dir, file)} (${error.code ?? error.message}): the Job's pod must mount its ServiceAccount's token (automountServiceAccountToken: true)`);
    }
  };
  const account = { token: read('token'), ca: read('ca.crt'), namespace: process.env.CERTS_NAMESPACE ?? read('namespace') };
  if (!account.token) fail(2, `the service-account token ${join(dir, 'token')} is empty`);
  return { services, days, renewMs: renewDays * DAY_MS, api: { host, port, ...account } };
}

/** One call to the API server: { status, body } (body parsed JSON, or text). */
function call(api, method, path, payload) {
  const data = payload === undefined ? undefined : Buffer.from(JSON.stringify(payload));
  const headers = { authorization: `Bearer ${api.token}`, accept: 'application/json', ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}) };
  return new Promise((resolve, reject) => {
    const req = request({ host: api.host, port: api.port, method, path, headers, ca: api.ca, timeout: 10_000 }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text for the message
        }
        resolve({ status: res.statusCode, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', (error) => {
      const untrusted = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(String(error.code)) ? ': its certificate is not signed by the service-account ca.crt' : '';
      reject(new Error(`cannot reach the Kubernetes API at https://${api.host}:${api.port} (${error.code ?? error.message})${untrusted}`));
    });
    req.end(data);
  });
}

/** Throws a message naming the call, the answer and what to check. */
function refused(method, path, { status, body }) {
  const detail = typeof body === 'object' && body ? body.message ?? JSON.stringify(body) : String(body).slice(0, 200);
  const hint = status === 401 || status === 403 ? ": the Job's ServiceAccount failsoft-certs needs create on secrets and get/update on this one (deploy/k8s/components/mtls-job/rbac.yaml)" : '';
  return new Error(`the Kubernetes API refused ${method} ${path}: ${status} ${detail}${hint}`);
}

/** The Kubernetes Secrets API of one namespace: get (undefined when absent) and write (create or replace). */
function secretsApi(api) {
  const base = `/api/v1/namespaces/${encodeURIComponent(api.namespace)}/secrets`;
  return {
    async get(name) {
      const answer = await call(api, 'GET', `${base}/${name}`);
      if (answer.status === 404) return undefined;
      if (answer.status !== 200) throw refused('GET', `${base}/${name}`, answer);
      return answer.body;
    },
    async write(name, existing, files) {
      const data = Object.fromEntries(Object.entries(files).map(([key, pem]) => [key, Buffer.from(pem).toString('base64')]));
      const labels = { 'app.kubernetes.io/part-of': 'failsoft', 'app.kubernetes.io/managed-by': 'failsoft-certs' };
      const [method, path, body] = existing
        ? ['PUT', `${base}/${name}`, { ...existing, metadata: { ...existing.metadata, labels: { ...existing.metadata?.labels, ...labels } }, data }]
        : ['POST', base, { apiVersion: 'v1', kind: 'Secret', metadata: { name, labels }, type: 'kubernetes.io/tls', data }];
      const answer = await call(api, method, path, body);
      if (answer.status !== 200 && answer.status !== 201) throw refused(method, path, answer);
    },
  };
}

/** The PEM files of a Secret, decoded (missing keys: undefined). */
const filesOf = (secret) => Object.fromEntries(['ca.crt', 'tls.crt', 'tls.key'].map((key) => [key, secret?.data?.[key] === undefined ? undefined : Buffer.from(secret.data[key], 'base64').toString('utf8')]));

/** Why `files` cannot be kept (undefined: keep), checked by `check(certificate, key)`. */
function problemOf(files, check) {
  if (!files['tls.crt'] || !files['tls.key']) return 'tls.crt or tls.key is missing';
  try {
    return check(new X509Certificate(files['tls.crt']), createPrivateKey(files['tls.key']));
  } catch (error) {
    return `unreadable (${error.message})`;
  }
}

const expiresWithin = (certificate, ms) => Date.parse(certificate.validTo) <= Date.now() + ms;

/** The CA, kept while it outlives a new service certificate; made (or replaced) otherwise. */
async function ensureCa(secrets, days) {
  const existing = await secrets.get(CA_NAME);
  const files = filesOf(existing);
  const problem = existing && problemOf(files, (cert, key) => (!cert.ca ? 'not a CA certificate' : !cert.checkPrivateKey(key) ? 'tls.key does not match tls.crt' : expiresWithin(cert, days * DAY_MS) ? `it expires ${cert.validTo}, before a new service certificate would` : undefined));
  if (existing && !problem) {
    say(`${CA_NAME} kept (valid until ${new X509Certificate(files['tls.crt']).validTo})`);
    return { cert: files['tls.crt'], key: createPrivateKey(files['tls.key']) };
  }
  const ca = issueCa(CA_DAYS);
  await secrets.write(CA_NAME, existing, { 'ca.crt': ca.cert, 'tls.crt': ca.cert, 'tls.key': ca.key });
  say(existing ? `${CA_NAME} replaced (${problem}): every service certificate is reissued; restart every app` : `${CA_NAME} created`);
  return { cert: ca.cert, key: ca.privateKey };
}

/** One service's Secret, kept while valid for this CA and this service; issued otherwise. */
async function ensureService(secrets, service, ca, days, renewMs) {
  const name = `${service}-grpc-tls`;
  const existing = await secrets.get(name);
  const files = filesOf(existing);
  const caCert = new X509Certificate(ca.cert);
  const problem = existing && problemOf(files, (cert, key) => {
    if (!files['ca.crt'] || new X509Certificate(files['ca.crt']).fingerprint256 !== caCert.fingerprint256 || !cert.verify(caCert.publicKey)) return `not signed by the current ${CA_NAME}`;
    if (!cert.checkPrivateKey(key)) return 'tls.key does not match tls.crt';
    if (cert.subject !== `CN=${service}` || !cert.subjectAltName?.includes(`URI:${spiffeId(service)}`)) return `it does not name ${service} (${cert.subject})`;
    return expiresWithin(cert, renewMs) ? `it expires ${cert.validTo}` : undefined;
  });
  if (existing && !problem) return say(`${name} kept (valid until ${new X509Certificate(files['tls.crt']).validTo})`);
  const issued = issueServiceCertificate({ service, hosts: [service, SHARED_NAME], caKey: ca.key, days });
  await secrets.write(name, existing, { 'ca.crt': ca.cert, 'tls.crt': issued.cert, 'tls.key': issued.key });
  say(existing ? `${name} replaced (${problem})` : `${name} created (CN=${service}; DNS ${service}, ${SHARED_NAME}; ${spiffeId(service)})`);
}

const { services, days, renewMs, api } = settings();
try {
  const secrets = secretsApi(api);
  const ca = await ensureCa(secrets, days);
  for (const service of services) await ensureService(secrets, service, ca, days, renewMs);
  say(`done in namespace ${api.namespace}`);
} catch (error) {
  fail(1, error.message);
}
