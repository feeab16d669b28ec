import type { INestApplication } from '@nestjs/common';
import { bootstrapService } from '@failsoft/sidecar/nest';
import { startSentinelTopology, type SentinelTopology } from '@failsoft/testing';
import { Redis } from 'ioredis';
import { action, CONSOLE_SPEC, ControlDouble, signIn } from '../../../test/console-spec-support';
import { gatewaySpecEnv } from '../../../test/gateway-spec-support';
import { gatewayBootstrapOptions } from '../gateway.bootstrap';
import { CONSOLE_MAX_FAULTS } from './console-action-policy.service';

/**
 * What the console refuses (ConsoleActionPolicy, OperatorGuard) on the real gateway app against a
 * real Redis behind a sentinel, with a stand-in for the control channel of `failsoft up` (apps/cli
 * may not be imported here; the real one is driven by apps/platform-e2e/src/security.e2e.spec.ts):
 * members are refused every action, the last ready gateway is never stopped, fault rules are
 * capped, and actions are limited per operator.
 */
jest.setTimeout(60_000);

const { token: TOKEN, secret: SECRET, controlToken: CONTROL_TOKEN, operatorPassword: OPERATOR_PASSWORD } = CONSOLE_SPEC;
let topology: SentinelTopology;
let redis: Redis;
const apps: INestApplication[] = [];
const control = new ControlDouble();
let url: string;
let token: string;

async function startGateway(instance: string, env: NodeJS.ProcessEnv = {}): Promise<{ app: INestApplication; url: string }> {
  const app = await bootstrapService(
    gatewayBootstrapOptions(gatewaySpecEnv(topology, { token: TOKEN, authSecret: SECRET }, instance, { OPERATOR_PASSWORD, FAILSOFT_CONTROL_URL: control.url, FAILSOFT_CONTROL_TOKEN: CONTROL_TOKEN, ...env })),
  );
  apps.push(app);
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

beforeAll(async () => {
  topology = await startSentinelTopology({ replicas: 0, sentinels: 1, quorum: 1 });
  const master = await topology.currentMaster();
  redis = new Redis({ host: master.host, port: master.port, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  await control.start();
  ({ url } = await startGateway('gateway-p1'));
  token = await signIn(url, 'operator', OPERATOR_PASSWORD);
}, 60_000);

afterAll(async () => {
  for (const app of apps.splice(0)) await app.close();
  await control.stop();
  redis?.disconnect();
  await topology?.stop();
});

describe('what the console refuses', () => {
  it('refuses every action of a member (bob, the public demo password) with 403 JSON, and forwards none', async () => {
    control.calls.length = 0;
    const bob = await signIn(url, 'bob');
    const bodies = [
      { action: 'kill', target: 'gateway-1' },
      { action: 'kill', target: 'likes-1', signal: 'STOP' },
      { action: 'revive', target: 'likes-1' },
      { action: 'kill-service', target: 'likes' },
      { action: 'revive-service', target: 'likes' },
      { action: 'redis-failover' },
      { action: 'add-fault', fault: { service: 'likes', delayMs: 600_000 } },
      { action: 'clear-faults' },
    ];
    for (const body of bodies) {
      const refused = await action(url, body, bob);
      expect({ body, status: refused.status, code: refused.body.error?.code }).toEqual({ body, status: 403, code: 'FORBIDDEN' });
    }
    expect(control.calls.filter((c) => c.method !== 'GET')).toEqual([]);
  });

  it('refuses to stop the last ready gateway (409 LAST_GATEWAY), whatever the signal; stops one while another is ready', async () => {
    control.calls.length = 0;
    for (const signal of ['KILL', 'TERM', 'STOP']) {
      const refused = await action(url, { action: 'kill', target: 'gateway-1', signal }, token);
      expect({ signal, status: refused.status, error: refused.body.error }).toEqual({ signal, status: 409, error: { code: 'LAST_GATEWAY', message: expect.stringMatching(/gateway-1 is the last ready gateway/) } });
    }
    expect(control.calls.filter((c) => c.method !== 'GET')).toEqual([]);
    // gateway-2 is not ready: stopping it leaves gateway-1
    expect((await action(url, { action: 'kill', target: 'gateway-2' }, token)).status).toBe(200);
    control.gateways[1] = { ...control.gateways[1], state: 'running', ready: true };
    try {
      expect((await action(url, { action: 'kill', target: 'gateway-1' }, token)).status).toBe(200);
    } finally {
      control.gateways[1] = { ...control.gateways[1], state: 'held', ready: false };
    }
    expect(control.calls.filter((c) => c.method !== 'GET').map((c) => c.path)).toEqual(['/v1/instances/gateway-2/kill', '/v1/instances/gateway-1/kill']);
  });

  it(`caps fault rules: at most ${CONSOLE_MAX_FAULTS} in force (409 TOO_MANY_FAULTS), expired ones do not count; delays over 10 s are refused`, async () => {
    const rule = (i: number, expiresAt: number) => ({ id: `r${i}`, service: 'likes', method: '*', delayMs: 10, abortPercent: 0, expiresAt });
    control.faults = Array.from({ length: CONSOLE_MAX_FAULTS }, (_, i) => rule(i, Date.now() + 60_000));
    try {
      const refused = await action(url, { action: 'add-fault', fault: { service: 'likes', delayMs: 10 } }, token);
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'TOO_MANY_FAULTS', message: expect.stringMatching(`${CONSOLE_MAX_FAULTS} fault rules are in force`) });
      control.faults = control.faults.map((f, i) => (i === 0 ? { ...f, expiresAt: Date.now() - 1 } : f));
      expect((await action(url, { action: 'add-fault', fault: { service: 'likes', delayMs: 10 } }, token)).status).toBe(200);
    } finally {
      control.faults = [];
    }
    const long = await action(url, { action: 'add-fault', fault: { service: 'feed', delayMs: 600_000 } }, token);
    expect(long.status).toBe(400);
    expect(long.body.error).toMatchObject({ code: 'INVALID_FAULT', message: expect.stringMatching(/at most 10000 ms/) });
  });

  it('limits console actions per operator across gateways (429 RATE_LIMITED + Retry-After beyond the limit)', async () => {
    const limited = await startGateway('gateway-c3', { FAILSOFT_CONTROL_URL: control.url, FAILSOFT_CONTROL_TOKEN: CONTROL_TOKEN, CONSOLE_ACTIONS_PER_WINDOW: '3', CONSOLE_ACTIONS_WINDOW_MS: '60000' });
    await redis.del('failsoft:ratelimit:console:operator');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await action(limited.url, { action: 'revive', target: 'likes-1' }, token)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const refused = await action(limited.url, { action: 'revive', target: 'likes-1' }, token);
    expect(refused.body.error).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/at most 3 per 60 s per operator/) });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await redis.del('failsoft:ratelimit:console:operator');
  });

});
