import { callerPermissions, likesServiceDefinition } from '@failsoft/contracts';
import { noopLogger, serviceAuthOptions, ServiceClient, SidecarServer, StaticResolver, type AuthOptions } from '@failsoft/sidecar';
import { status } from '@grpc/grpc-js';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

jest.setTimeout(60_000);

const SCRIPT = resolve(__dirname, '../../../deploy/certs/generate-certs.mjs');
const TOKEN = 'certs-spec-token-0123456789';

function generate(out: string, ...args: string[]): { code: number | null; output: string } {
  const result = spawnSync(process.execPath, [SCRIPT, out, ...args], { encoding: 'utf8' });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

/**
 * deploy/certs/generate-certs.mjs (the compose `certs` job): a CA and one certificate per service
 * that real mutual TLS accepts, the service's name as its identity, per-method permissions on it.
 */
describe('generate-certs.mjs and mutual TLS with its certificates', () => {
  let dir: string;
  let server: SidecarServer;
  let port: number;
  const clients: ServiceClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'failsoft-certs-'));
    const first = generate(dir, 'likes,feed,gateway');
    expect(first.code).toBe(0);
    server = new SidecarServer({
      service: 'likes',
      instanceId: 'likes-1',
      auth: serviceAuthOptions({ FAILSOFT_TOKEN: TOKEN, GRPC_TLS_DIR: join(dir, 'likes') }),
      permissions: callerPermissions('likes'),
      logger: noopLogger,
    });
    server.addService(likesServiceDefinition(), {
      Like: async (request: { post_id: string }) => ({ post_id: request.post_id, count: 1, liked: true }),
      Counts: async () => ({ counts: [] }),
    } as never);
    ({ port } = await server.start());
  });

  afterAll(async () => {
    for (const client of clients) client.shutdown();
    await server?.shutdown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function clientAs(caller: string, auth: AuthOptions, host = 'localhost'): ServiceClient {
    const client = new ServiceClient({
      service: 'likes',
      definition: likesServiceDefinition(),
      resolver: new StaticResolver({ service: 'likes', addresses: [`${host}:${port}`] }),
      caller: { service: caller, instance: `${caller}-1` },
      auth,
      retry: false,
    });
    clients.push(client);
    return client;
  }

  async function codeOf(call: Promise<unknown>): Promise<string> {
    try {
      await call;
      return 'OK';
    } catch (error) {
      return status[(error as { code: number }).code] ?? String(error);
    }
  }

  it('writes a CA and per-service certificates naming the service, keys readable by their owner only', () => {
    const ca = new X509Certificate(readFileSync(join(dir, 'ca', 'ca.crt')));
    expect(ca.ca).toBe(true);
    for (const service of ['likes', 'feed', 'gateway']) {
      const cert = new X509Certificate(readFileSync(join(dir, service, 'tls.crt')));
      expect(cert.subject).toBe(`CN=${service}`);
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.subjectAltName).toContain(`URI:spiffe://failsoft/${service}`);
      expect(cert.subjectAltName).toContain(`DNS:${service}-2`);
      expect(cert.subjectAltName).toContain('DNS:failsoft-internal');
      expect(statSync(join(dir, service, 'tls.key')).mode & 0o077).toBe(0);
    }
  });

  it('keeps what is valid when run again, and refuses bad arguments clearly', () => {
    const before = readFileSync(join(dir, 'likes', 'tls.crt'), 'utf8');
    const again = generate(dir, 'likes');
    expect(again.code).toBe(0);
    expect(again.output).toContain('generate-certs: likes kept');
    expect(readFileSync(join(dir, 'likes', 'tls.crt'), 'utf8')).toBe(before);
    expect(generate(dir, 'Likes!')).toEqual({ code: 2, output: 'generate-certs: bad service name "Likes!" (a-z, 0-9, -)\n' });
    expect(generate(dir).code).toBe(2);
  });

  it('serves the gateway and feed by their certificates, and refuses feed a method it may not call', async () => {
    const gateway = clientAs('gateway', serviceAuthOptions({ FAILSOFT_TOKEN: TOKEN, GRPC_TLS_DIR: join(dir, 'gateway') }));
    expect(await codeOf(gateway.call('Like', { userId: 'u', postId: 'p' }))).toBe('OK');
    // the feed's certificate says feed, whatever its metadata claims
    const feed = clientAs('gateway', serviceAuthOptions({ FAILSOFT_TOKEN: TOKEN, GRPC_TLS_DIR: join(dir, 'feed') }));
    expect(await codeOf(feed.call('Counts', { postIds: ['p'] }))).toBe('OK');
    expect(await codeOf(feed.call('Like', { userId: 'u', postId: 'p' }))).toBe('PERMISSION_DENIED');
    // dialled by address, verified by the shared name (what Kubernetes does with pod IPs)
    const byIp = clientAs('gateway', serviceAuthOptions({ FAILSOFT_TOKEN: TOKEN, GRPC_TLS_DIR: join(dir, 'gateway'), GRPC_TLS_SERVER_NAME: 'failsoft-internal' }), '127.0.0.1');
    expect(await codeOf(byIp.call('Like', { userId: 'u', postId: 'p' }))).toBe('OK');
  });

  it('refuses a client without a certificate of this CA', async () => {
    const other = mkdtempSync(join(tmpdir(), 'failsoft-certs-other-'));
    try {
      expect(generate(other, 'gateway').code).toBe(0);
      const rogue = clientAs('gateway', serviceAuthOptions({ FAILSOFT_TOKEN: TOKEN, GRPC_TLS_DIR: join(other, 'gateway') }));
      expect(await codeOf(rogue.call('Like', { userId: 'u', postId: 'p' }))).toBe('UNAVAILABLE');
      const plaintext = clientAs('gateway', { token: TOKEN });
      expect(await codeOf(plaintext.call('Like', { userId: 'u', postId: 'p' }))).toBe('UNAVAILABLE');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
