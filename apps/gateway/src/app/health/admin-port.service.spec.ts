import type { INestApplication } from '@nestjs/common';
import { bootstrapService } from '@failsoft/sidecar/nest';
import { getFreePort, startSentinelTopology, type SentinelTopology } from '@failsoft/testing';
import { gatewaySpecEnv, rawRequest, SPEC_SECRETS } from '../../../test/gateway-spec-support';
import { gatewayBootstrapOptions } from '../gateway.bootstrap';

/**
 * ADMIN_PORT on the real gateway app: the admin endpoints leave the public port (what the front
 * door and an Ingress expose) for their own, where probes and Prometheus reach them.
 */
jest.setTimeout(60_000);

let topology: SentinelTopology;
let app: INestApplication | undefined;

beforeAll(async () => {
  topology = await startSentinelTopology({ replicas: 0, sentinels: 1, quorum: 1 });
});

afterAll(async () => {
  await app?.close();
  await topology?.stop();
});

describe('the gateway with ADMIN_PORT', () => {
  it('serves /readyz, /metrics and /snapshot only on the admin port; /livez on both; the API on the public one', async () => {
    const adminPort = await getFreePort();
    app = await bootstrapService(gatewayBootstrapOptions(gatewaySpecEnv(topology, SPEC_SECRETS, 'gateway-a1', { ADMIN_PORT: String(adminPort) })));
    const publicUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    for (const path of ['/readyz', '/metrics', '/snapshot']) {
      const hidden = await rawRequest(publicUrl, 'GET', path);
      expect({ path, status: hidden.status, code: (JSON.parse(hidden.text) as { error: { code: string } }).error.code }).toEqual({ path, status: 404, code: 'NO_ROUTE' });
      expect({ path, status: (await rawRequest(adminUrl, 'GET', path)).status }).toEqual({ path, status: 200 });
    }
    expect((await rawRequest(adminUrl, 'GET', '/metrics')).text).toMatch(/^# (HELP|TYPE) /m);
    expect(JSON.parse((await rawRequest(adminUrl, 'GET', '/snapshot')).text)).toMatchObject({ instanceId: 'gateway-a1' });
    expect((await rawRequest(publicUrl, 'GET', '/livez')).status).toBe(200);
    expect((await rawRequest(adminUrl, 'GET', '/livez')).status).toBe(200);
    expect((await rawRequest(publicUrl, 'GET', '/api/health')).status).toBe(200);
    expect((await rawRequest(adminUrl, 'GET', '/api/health')).status).toBe(404);
  });
});
