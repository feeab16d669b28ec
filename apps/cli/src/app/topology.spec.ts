import { env, grpcServiceEnvSchema, readEnvConfig, serviceEnvSchema } from '@failsoft/sidecar';
import { getFreePort } from '@failsoft/testing';
import { instanceEnv, instanceIdentities, planInstances, platformTopology, SERVICES, SERVICE_NAMES, zoneNames, type SharedSettings } from './topology';

/** The gateway's schema lives in apps/gateway (not importable from here): common + AUTH_SECRET. */
const gatewayEnvSchema = { ...serviceEnvSchema, AUTH_SECRET: env.string({ minLength: 32 }) };

const shared: SharedSettings = {
  sentinels: [
    { host: '127.0.0.1', port: 41001 },
    { host: '127.0.0.1', port: 41002 },
    { host: '127.0.0.1', port: 41003 },
  ],
  masterName: 'failsoft',
  failsoftToken: 'test-token-0123456789abcdef',
  authSecret: 'test-secret-0123456789abcdef0123456789abcdef',
  redisAuth: {
    sentinelPassword: 'sentinel-password-0123456789',
    servicePasswords: { upload: 'upload-password-0123456789', likes: 'likes-password-01234567890', feed: 'feed-password-012345678901', gateway: 'gateway-password-012345678' },
  },
};

describe('topology definition', () => {
  it('runs 2 instances of each service: upload, likes, feed, gateway', () => {
    expect(SERVICES.map((s) => [s.name, s.instances])).toEqual([
      ['upload', 2],
      ['likes', 2],
      ['feed', 2],
      ['gateway', 2],
    ]);
    expect(SERVICE_NAMES).toEqual(['upload', 'likes', 'feed', 'gateway']);
  });

  it('names instances <service>-<n> and alternates zone-a / zone-b', () => {
    const ids = instanceIdentities();
    expect(ids.map((i) => `${i.id}@${i.zone}`)).toEqual([
      'upload-1@zone-a',
      'upload-2@zone-b',
      'likes-1@zone-a',
      'likes-2@zone-b',
      'feed-1@zone-a',
      'feed-2@zone-b',
      'gateway-1@zone-a',
      'gateway-2@zone-b',
    ]);
    expect(instanceIdentities(1).every((i) => i.zone === 'zone-a')).toBe(true);
    expect(zoneNames(3)).toEqual(['zone-a', 'zone-b', 'zone-c']);
    expect(() => zoneNames(0)).toThrow(/1 to 26/);
  });

  it('plans unique ids and unique free ports for every instance', async () => {
    const plans = await planInstances(shared, { freePort: () => getFreePort() });
    expect(plans).toHaveLength(8);
    expect(new Set(plans.map((p) => p.id)).size).toBe(8);
    const ports = plans.flatMap((p) => (p.grpcPort === undefined ? [p.httpPort] : [p.httpPort, p.grpcPort]));
    expect(ports).toHaveLength(8 + 6); // the gateways have no gRPC port
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports).not.toContain(6379);
    for (const p of plans) {
      expect(p.url).toBe(`http://127.0.0.1:${p.httpPort}`);
      expect(p.main).toBe(`dist/apps/${p.service}/apps/${p.service}/src/main.js`);
    }
  });

  it("gives every instance an environment that passes its service's env schema", async () => {
    const plans = await planInstances(shared, { freePort: () => getFreePort() });
    for (const plan of plans) {
      const schema = plan.service === 'gateway' ? gatewayEnvSchema : grpcServiceEnvSchema;
      const config = readEnvConfig(schema, plan.env) as Record<string, unknown>;
      expect(config['HTTP_PORT']).toBe(plan.httpPort);
      expect(config['BIND_HOST']).toBe('127.0.0.1');
      expect(config['ADVERTISE_HOST']).toBe('127.0.0.1');
      expect(config['INSTANCE_ID']).toBe(plan.id);
      expect(config['ZONE']).toBe(plan.zone);
      expect(config['REDIS_SENTINELS']).toEqual(shared.sentinels);
      expect(config['REDIS_MASTER_NAME']).toBe('failsoft');
      expect(config['FAILSOFT_TOKEN']).toBe(shared.failsoftToken);
      expect(config['LOG_LEVEL']).toBe('info');
      // each service its own Redis ACL user (deploy/redis/users.acl), as in compose
      expect({ user: config['REDIS_USERNAME'], password: config['REDIS_PASSWORD'], sentinel: config['REDIS_SENTINEL_PASSWORD'] }).toEqual({
        user: plan.service,
        password: shared.redisAuth?.servicePasswords[plan.service],
        sentinel: shared.redisAuth?.sentinelPassword,
      });
      if (plan.service === 'gateway') {
        expect(config['AUTH_SECRET']).toBe(shared.authSecret);
        expect(plan.env).not.toHaveProperty('GRPC_PORT');
      } else {
        expect(config['GRPC_PORT']).toBe(plan.grpcPort);
        expect(plan.env).not.toHaveProperty('AUTH_SECRET'); // the signing secret stays at the edge
      }
      // nothing beyond what the service declares
      expect(Object.keys(plan.env).sort()).toEqual([...(SERVICES.find((s) => s.name === plan.service)?.env ?? [])].sort());
    }
  });

  it('leaves the Redis credentials out when the Redis has no passwords (negative control)', () => {
    const [likes] = instanceIdentities().filter((i) => i.service === 'likes');
    const env = instanceEnv(likes, { httpPort: 1, grpcPort: 2 }, { ...shared, redisAuth: undefined });
    expect(Object.keys(env).filter((name) => name.startsWith('REDIS_') && name !== 'REDIS_SENTINELS' && name !== 'REDIS_MASTER_NAME')).toEqual([]);
  });

  it('an env with a too-short secret would be rejected by the schema (the check is real)', () => {
    const [gateway] = instanceIdentities().filter((i) => i.service === 'gateway');
    const bad = instanceEnv(gateway, { httpPort: 8081 }, { ...shared, authSecret: 'short' });
    expect(() => readEnvConfig(gatewayEnvSchema, bad)).toThrow(/AUTH_SECRET must be at least 32 characters/);
  });

  it('is exportable as plain data (for compose / Kubernetes checks)', () => {
    const data = JSON.parse(JSON.stringify(platformTopology()));
    expect(data.redis).toMatchObject({ replicas: 2, sentinels: 3, quorum: 2, masterName: 'failsoft' });
    expect(data.frontDoor).toMatchObject({ defaultPort: 8080, backend: 'gateway', healthPath: '/readyz' });
    expect(data.instances).toHaveLength(8);
    expect(data.services.find((s: { name: string }) => s.name === 'gateway').env).toContain('AUTH_SECRET');
  });
});
