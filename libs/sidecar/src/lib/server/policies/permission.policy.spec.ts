import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authMetadata, createChannelCredentials } from '../../auth/credentials';
import { MetadataKeys } from '../../core/metadata-keys';
import { isInvalidOptionsError } from '../../core/sidecar.error';
import { noopLogger } from '../../telemetry/logger';
import { generateTestCertificates, type TestCertificates } from '../../../../test/fixtures/certificates';
import { callUnary, createEchoClient, EchoService, loadEcho, type EchoReply } from '../../../../test/fixtures/load-echo';
import type { AuthOptions } from '../../auth/auth-options';
import { SidecarServer } from '../sidecar.server';
import type { CallerPermissions } from './permission.policy';
import { PermissionPolicy } from './permission.policy';

jest.setTimeout(30_000);

const TOKEN = { token: 'permission-token-0123456789' };

/** 'OK', or the status name and the x-failsoft-error trailer. */
function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'OK',
    (error: grpc.ServiceError) => `${grpc.status[error.code]}/${String(error.metadata?.get(MetadataKeys.error)[0] ?? '')}: ${error.details}`,
  );
}

describe('per-method caller permissions (real gRPC)', () => {
  let dir: string;
  let certs: TestCertificates;
  const servers: SidecarServer[] = [];
  const clients: grpc.Client[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'failsoft-permissions-'));
    certs = generateTestCertificates(dir, { clientName: 'feed' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await Promise.all(servers.splice(0).map((s) => s.shutdown()));
  });

  async function serve(auth: AuthOptions, permissions: CallerPermissions, clientAuth: AuthOptions = auth, clientOptions: grpc.ClientOptions = {}) {
    const echo = new EchoService({ instanceId: 'perm-1' });
    const server = new SidecarServer({ service: 'echo', instanceId: 'perm-1', auth, logger: noopLogger, permissions });
    servers.push(server);
    server.addService(loadEcho().definition, echo.handlers);
    const { port } = await server.start();
    const client = createEchoClient(`127.0.0.1:${port}`, createChannelCredentials(clientAuth), clientOptions);
    clients.push(client);
    return { server, echo, client };
  }

  it('lets a listed caller through and refuses another with PERMISSION_DENIED; the handler never runs', async () => {
    const { server, echo, client } = await serve(TOKEN, { Echo: ['gateway'], Relay: ['gateway', 'feed'] });
    const reply = await callUnary<EchoReply>(client, 'Echo', { message: 'hi' }, { metadata: authMetadata(TOKEN, 'gateway', 'gateway-1'), timeoutMs: 5000 });
    expect(reply.caller).toBe('gateway');
    expect(await outcome(callUnary(client, 'Echo', { message: 'hi' }, { metadata: authMetadata(TOKEN, 'feed', 'feed-1'), timeoutMs: 5000 }))).toBe(
      'PERMISSION_DENIED/PERMISSION_DENIED: caller "feed" may not call echo.Echo (allowed: gateway)',
    );
    expect(echo.calls.Echo).toBe(1);
    expect(server.snapshot().refused.permissionDenied).toBe(1);
  });

  it('refuses an unlisted method to every caller, and checks credentials first', async () => {
    const { echo, client } = await serve(TOKEN, { Echo: ['gateway'] });
    expect(await outcome(callUnary(client, 'Relay', { hops: [] }, { metadata: authMetadata(TOKEN, 'gateway', 'gateway-1'), timeoutMs: 5000 }))).toBe(
      'PERMISSION_DENIED/PERMISSION_DENIED: caller "gateway" may not call echo.Relay (no caller may call it)',
    );
    expect(await outcome(callUnary(client, 'Echo', {}, { metadata: authMetadata({ token: 'wrong-token-0123456789' }, 'gateway', 'gateway-1'), timeoutMs: 5000 }))).toBe(
      'UNAUTHENTICATED/UNAUTHENTICATED: invalid token in authorization metadata',
    );
    expect(echo.calls.Relay ?? 0).toBe(0);
    expect(echo.calls.Echo).toBe(0);
  });

  it('with mutual TLS the identity is the client certificate, whatever the metadata claims', async () => {
    const serverAuth: AuthOptions = { tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey } };
    const clientAuth: AuthOptions = { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } };
    const { echo, client } = await serve(serverAuth, { Echo: ['gateway'], Relay: ['feed'] }, clientAuth, { 'grpc.ssl_target_name_override': 'localhost' });
    // the certificate says feed; claiming to be the gateway does not help
    expect(await outcome(callUnary(client, 'Echo', {}, { metadata: authMetadata(clientAuth, 'gateway', 'gateway-1'), timeoutMs: 5000 }))).toBe(
      'PERMISSION_DENIED/PERMISSION_DENIED: caller "feed" may not call echo.Echo (allowed: gateway)',
    );
    expect(echo.calls.Echo).toBe(0);
    expect(await outcome(callUnary(client, 'Relay', { hops: [] }, { metadata: authMetadata(clientAuth, 'gateway', 'gateway-1'), timeoutMs: 5000 }))).toBe('OK');
  });

  it('validates permissions at construction, naming the bad entry', () => {
    const messageOf = (permissions: unknown): string => {
      try {
        new PermissionPolicy(permissions as CallerPermissions, 'echo');
      } catch (error) {
        expect(isInvalidOptionsError(error)).toBe(true);
        return (error as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(messageOf(['gateway'])).toBe('server.permissions must map method names to arrays of caller names, e.g. { CreatePost: [\'gateway\'] }; got ["gateway"]');
    expect(messageOf({ Echo: 'gateway' })).toContain('server.permissions.Echo must be an array of caller names');
    expect(messageOf({ Echo: ['gate way'] })).toContain('server.permissions.Echo has caller "gate way"');
    expect(() => new SidecarServer({ service: 'echo', instanceId: 'x', auth: TOKEN, logger: noopLogger, permissions: { 'Bad/Method': ['gateway'] } })).toThrow('server.permissions has method "Bad/Method"');
  });
});
