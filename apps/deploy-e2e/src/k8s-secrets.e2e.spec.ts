import { callerPermissions, likesServiceDefinition } from '@failsoft/contracts';
import { noopLogger, serviceAuthOptions, ServiceClient, SidecarServer, StaticResolver } from '@failsoft/sidecar';
import { status } from '@grpc/grpc-js';
import { spawn, spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { K8sSecretsApi } from './support/k8s-secrets-api';

jest.setTimeout(60_000);

const CERTS = resolve(__dirname, '../../../deploy/certs');
const SCRIPT = join(CERTS, 'k8s-secrets.mjs');
const SERVICES = ['upload', 'likes', 'feed', 'gateway'];
const NAMESPACE = 'shop';
const API_TOKEN = 'service-account-token-of-failsoft-certs';
const DAY_MS = 86_400_000;

/** Runs the Job's script as its pod would (API address, service-account folder); resolves when it exits. */
function runJob(env: Record<string, string>, args = [SERVICES.join(',')]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** Secret data: each PEM file base64-encoded. */
const base64Of = (files: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(files).map(([key, pem]) => [key, Buffer.from(pem).toString('base64')]));

/**
 * A certificate valid for `days` made with deploy/certs/x509.mjs (ESM: in its own node): for
 * `service`, signed by `caKey` (PEM); or, with `service` undefined, a new CA.
 */
function issue(caKey: string, service: string | undefined, days: number): { cert: string; key: string } {
  const code = `import { createPrivateKey } from 'node:crypto'; import { issueCa, issueServiceCertificate } from ${JSON.stringify(pathToFileURL(join(CERTS, 'x509.mjs')).href)};
    const { SVC, CA_KEY, DAYS } = process.env;
    const issued = SVC ? issueServiceCertificate({ service: SVC, hosts: [SVC], caKey: createPrivateKey(CA_KEY), days: Number(DAYS) }) : issueCa(Number(DAYS));
    process.stdout.write(JSON.stringify({ cert: issued.cert, key: issued.key }));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', env: { CA_KEY: caKey, SVC: service ?? '', DAYS: String(days) } });
  if (result.status !== 0) throw new Error(`issuing a test certificate failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/**
 * deploy/certs/k8s-secrets.mjs, the certs Job of deploy/k8s/components/mtls-job, run for real
 * against a local HTTPS server that speaks the Secrets API it uses (support/k8s-secrets-api.ts):
 * the Secrets it writes are a CA and per-service certificates that real mutual TLS accepts; a
 * second run keeps them; an expiring or foreign certificate is replaced; bad input fails clearly.
 */
describe('k8s-secrets.mjs (the certs Job) against the Kubernetes Secrets API', () => {
  let dir: string;
  let api: K8sSecretsApi;
  let env: Record<string, string>;
  const certificate = (secret: string) => new X509Certificate(api.files(secret)['tls.crt']);
  const writes = (from: number) => api.seen.slice(from).filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.name} ${r.status}`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'failsoft-k8s-secrets-'));
    // the API server's own certificate (IP 127.0.0.1), from another CA: the one in the service-account folder
    expect(spawnSync(process.execPath, [join(CERTS, 'generate-certs.mjs'), join(dir, 'api'), 'kube-apiserver']).status).toBe(0);
    const apiTls = { cert: readFileSync(join(dir, 'api', 'kube-apiserver', 'tls.crt'), 'utf8'), key: readFileSync(join(dir, 'api', 'kube-apiserver', 'tls.key'), 'utf8') };
    mkdirSync(join(dir, 'sa'));
    writeFileSync(join(dir, 'sa', 'token'), `${API_TOKEN}\n`);
    writeFileSync(join(dir, 'sa', 'ca.crt'), readFileSync(join(dir, 'api', 'ca', 'ca.crt')));
    writeFileSync(join(dir, 'sa', 'namespace'), NAMESPACE);
    api = new K8sSecretsApi(apiTls, NAMESPACE, API_TOKEN);
    const port = await api.start();
    env = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port), SERVICE_ACCOUNT_DIR: join(dir, 'sa') };
  });

  afterAll(async () => {
    await api?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates the CA and one TLS Secret per service: CN and SAN URI spiffe://failsoft/<service>, signed by the CA, key matching', async () => {
    const run = await runJob(env);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(writes(0)).toEqual(['failsoft-internal-ca', ...SERVICES.map((s) => `${s}-grpc-tls`)].map((name) => `POST ${name} 201`));
    expect([...api.secrets.keys()].sort()).toEqual(['failsoft-internal-ca', ...SERVICES.map((s) => `${s}-grpc-tls`)].sort());
    const caFiles = api.files('failsoft-internal-ca');
    const ca = new X509Certificate(caFiles['tls.crt']);
    expect({ ca: ca.ca, subject: ca.subject, issuer: ca.issuer, selfSigned: ca.verify(ca.publicKey), caCrt: caFiles['ca.crt'] === caFiles['tls.crt'] }).toEqual({ ca: true, subject: 'CN=failsoft-internal-ca', issuer: 'CN=failsoft-internal-ca', selfSigned: true, caCrt: true });
    for (const service of SERVICES) {
      const secret = api.secrets.get(`${service}-grpc-tls`);
      expect({ type: secret?.type, keys: Object.keys(secret?.data ?? {}).sort(), managedBy: secret?.metadata.labels?.['app.kubernetes.io/managed-by'] }).toEqual({ type: 'kubernetes.io/tls', keys: ['ca.crt', 'tls.crt', 'tls.key'], managedBy: 'failsoft-certs' });
      const files = api.files(`${service}-grpc-tls`);
      const cert = new X509Certificate(files['tls.crt']);
      expect({ service, subject: cert.subject, issuer: cert.issuer, signed: cert.verify(ca.publicKey), ca: cert.ca, trusts: files['ca.crt'] === caFiles['tls.crt'] }).toEqual({ service, subject: `CN=${service}`, issuer: 'CN=failsoft-internal-ca', signed: true, ca: false, trusts: true });
      expect(cert.subjectAltName?.split(', ').sort()).toEqual([`DNS:${service}`, 'DNS:failsoft-internal', `URI:spiffe://failsoft/${service}`].sort());
      expect(cert.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
      expect(cert.checkPrivateKey(createPrivateKey(files['tls.key']))).toBe(true);
      expect(Math.round((Date.parse(cert.validTo) - Date.now()) / DAY_MS)).toBe(825);
    }
  });

  it('writes Secrets that real mutual TLS accepts as the apps mount them (dialled by IP, name failsoft-internal verified)', async () => {
    for (const service of SERVICES) {
      mkdirSync(join(dir, 'mounted', service), { recursive: true });
      for (const [file, pem] of Object.entries(api.files(`${service}-grpc-tls`))) writeFileSync(join(dir, 'mounted', service, file), pem);
    }
    const token = 'k8s-secrets-spec-token-0123456789';
    const authOf = (service: string, serverName = 'failsoft-internal') => serviceAuthOptions({ FAILSOFT_TOKEN: token, GRPC_TLS_DIR: join(dir, 'mounted', service), ...(serverName ? { GRPC_TLS_SERVER_NAME: serverName } : {}) });
    const server = new SidecarServer({ service: 'likes', instanceId: 'likes-1', auth: authOf('likes'), permissions: callerPermissions('likes'), logger: noopLogger });
    server.addService(likesServiceDefinition(), { Like: async (r: { post_id: string }) => ({ post_id: r.post_id, count: 1, liked: true }), Counts: async () => ({ counts: [] }) } as never);
    const { port } = await server.start();
    const clients: ServiceClient[] = [];
    const codeOf = async (caller: string, method: 'Like' | 'Counts', request: object, serverName?: string) => {
      const client = new ServiceClient({ service: 'likes', definition: likesServiceDefinition(), resolver: new StaticResolver({ service: 'likes', addresses: [`127.0.0.1:${port}`] }), caller: { service: 'gateway', instance: `${caller}-1` }, auth: authOf(caller, serverName), retry: false });
      clients.push(client);
      try {
        await client.call(method, request);
        return 'OK';
      } catch (error) {
        return status[(error as { code: number }).code];
      }
    };
    try {
      expect(await codeOf('gateway', 'Like', { userId: 'u', postId: 'p' })).toBe('OK');
      // the caller is the certificate's service (feed), whatever its metadata claims (gateway)
      expect(await codeOf('feed', 'Counts', { postIds: ['p'] })).toBe('OK');
      expect(await codeOf('feed', 'Like', { userId: 'u', postId: 'p' })).toBe('PERMISSION_DENIED');
      // the certificates name no address: by IP without GRPC_TLS_SERVER_NAME, or with another name, the server is not trusted
      expect(await codeOf('gateway', 'Like', { userId: 'u', postId: 'p' }, '')).toBe('UNAVAILABLE');
      expect(await codeOf('gateway', 'Like', { userId: 'u', postId: 'p' }, 'likes-1')).toBe('UNAVAILABLE');
    } finally {
      for (const client of clients) client.shutdown();
      await server.shutdown();
    }
  });

  it('keeps every valid Secret when run again (no write)', async () => {
    const before = structuredClone([...api.secrets.entries()]);
    const from = api.seen.length;
    const run = await runJob(env);
    expect(run.code).toBe(0);
    expect(run.stdout.match(/ kept \(valid until /g)).toHaveLength(5);
    expect(writes(from)).toEqual([]);
    expect([...api.secrets.entries()]).toEqual(before);
  });

  it('replaces a certificate that expires within 30 days, and one signed by another CA; keeps the others and the CA', async () => {
    const caKey = api.files('failsoft-internal-ca')['tls.key'];
    const plant = (name: string, files: Record<string, string>) => {
      const secret = api.secrets.get(name);
      if (!secret) throw new Error(`no Secret ${name} to plant into`);
      secret.data = base64Of({ ...api.files(name), ...files });
      secret.metadata.resourceVersion = `${secret.metadata.resourceVersion}0`;
    };
    const expiring = issue(caKey, 'likes', 5);
    plant('likes-grpc-tls', { 'tls.crt': expiring.cert, 'tls.key': expiring.key });
    const foreign = readFileSync(join(dir, 'api', 'kube-apiserver', 'tls.crt'), 'utf8');
    plant('feed-grpc-tls', { 'tls.crt': foreign, 'tls.key': readFileSync(join(dir, 'api', 'kube-apiserver', 'tls.key'), 'utf8') });
    const gatewayBefore = api.files('gateway-grpc-tls')['tls.crt'];
    const from = api.seen.length;

    const run = await runJob(env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/likes-grpc-tls replaced \(it expires .*\)/);
    expect(run.stdout).toContain('feed-grpc-tls replaced (not signed by the current failsoft-internal-ca)');
    expect(writes(from)).toEqual(['PUT likes-grpc-tls 200', 'PUT feed-grpc-tls 200']);
    const ca = certificate('failsoft-internal-ca');
    for (const service of ['likes', 'feed']) {
      const cert = certificate(`${service}-grpc-tls`);
      expect({ service, signed: cert.verify(ca.publicKey), subject: cert.subject, days: Math.round((Date.parse(cert.validTo) - Date.now()) / DAY_MS) }).toEqual({ service, signed: true, subject: `CN=${service}`, days: 825 });
    }
    expect(api.files('gateway-grpc-tls')['tls.crt']).toBe(gatewayBefore);
  });

  it('replaces a CA that would expire before a new service certificate, and then every service certificate', async () => {
    const shortCa = issue('', undefined, 400);
    const secret = api.secrets.get('failsoft-internal-ca');
    if (!secret) throw new Error('no CA Secret to plant into');
    secret.data = base64Of({ 'ca.crt': shortCa.cert, 'tls.crt': shortCa.cert, 'tls.key': shortCa.key });
    secret.metadata.resourceVersion = `${secret.metadata.resourceVersion}0`;
    const from = api.seen.length;

    const run = await runJob(env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/failsoft-internal-ca replaced \(it expires .*, before a new service certificate would\): every service certificate is reissued; restart every app/);
    expect(writes(from)).toEqual(['PUT failsoft-internal-ca 200', ...SERVICES.map((s) => `PUT ${s}-grpc-tls 200`)]);
    const ca = certificate('failsoft-internal-ca');
    expect({ new: ca.fingerprint256 !== new X509Certificate(shortCa.cert).fingerprint256, days: Math.round((Date.parse(ca.validTo) - Date.now()) / DAY_MS) }).toEqual({ new: true, days: 3650 });
    for (const service of SERVICES) expect({ service, signed: certificate(`${service}-grpc-tls`).verify(ca.publicKey) }).toEqual({ service, signed: true });
  });

  it('fails clearly without its service-account token, when the API refuses, or cannot be reached or trusted', async () => {
    const noToken = await runJob({ ...env, SERVICE_ACCOUNT_DIR: join(dir, 'nowhere') });
    expect({ code: noToken.code, stderr: noToken.stderr }).toEqual({
      code: 2,
      stderr: `k8s-secrets: cannot read the service-account token ${join(dir, 'nowhere', 'token')} (ENOENT): the Job's pod must mount its ServiceAccount's token (automountServiceAccountToken: true)\n`,
    });
    api.refuse = true;
    try {
      const refused = await runJob(env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^k8s-secrets: the Kubernetes API refused GET \/api\/v1\/namespaces\/shop\/secrets\/failsoft-internal-ca: 403 secrets "failsoft-internal-ca" is forbidden: .*: the Job's ServiceAccount failsoft-certs needs create on secrets and get\/update on this one/);
    } finally {
      api.refuse = false;
    }
    const wrongToken = await runJob({ ...env, SERVICE_ACCOUNT_DIR: copySa({ token: 'not-the-token' }) });
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toContain('refused GET /api/v1/namespaces/shop/secrets/failsoft-internal-ca: 401 Unauthorized');
    const untrusted = await runJob({ ...env, SERVICE_ACCOUNT_DIR: copySa({ 'ca.crt': api.files('failsoft-internal-ca')['ca.crt'] }) });
    expect({ code: untrusted.code, stderr: untrusted.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(/^k8s-secrets: cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:\d+ \((CERT_SIGNATURE_FAILURE|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\): its certificate is not signed by the service-account ca\.crt\n$/) });
    const closed = await runJob({ ...env, KUBERNETES_SERVICE_PORT: '1' });
    expect({ code: closed.code, stderr: closed.stderr }).toEqual({ code: 1, stderr: 'k8s-secrets: cannot reach the Kubernetes API at https://127.0.0.1:1 (ECONNREFUSED)\n' });
    const badName = await runJob(env, ['likes,Feed!']);
    expect({ code: badName.code, stderr: badName.stderr }).toEqual({ code: 2, stderr: 'k8s-secrets: bad service name "Feed!" (a-z, 0-9, -)\n' });
  });

  /** A copy of the service-account folder with some files replaced; returns its path. */
  function copySa(replace: Record<string, string>): string {
    const copy = mkdtempSync(join(dir, 'sa-'));
    for (const file of ['token', 'ca.crt', 'namespace']) writeFileSync(join(copy, file), replace[file] ?? readFileSync(join(dir, 'sa', file)));
    return copy;
  }
});
