import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createSentinelClient, type StateRedis } from '@failsoft/state';
import { redisCommand, waitUntil } from '@failsoft/testing';
import { EntrypointTopology, HOST, MASTER_NAME, type EntrypointNode } from './support/redis-nodes';

/** Every password deploy/redis/entrypoint.sh takes, random per run (what deploy/docker/secrets.sh generates). */
const PASSWORDS: Record<string, string> = Object.fromEntries(
  ['ADMIN', 'REPLICATION', 'MONITOR', 'SENTINEL', 'UPLOAD', 'LIKES', 'FEED', 'GATEWAY'].map((name) => [`REDIS_${name}_PASSWORD`, randomBytes(18).toString('base64url')]),
);
const reason = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    (value) => `answered ${JSON.stringify(value)}`,
    (error: Error) => error.message,
  );

/**
 * deploy/redis with authentication on (as docker-compose.yml and deploy/k8s run it): nobody gets
 * in without a password, each service's ACL user can do only its own work, replicas and sentinels
 * authenticate (replication, monitoring, failover all still work), and the files hold no password.
 */
describe('deploy/redis with authentication', () => {
  let topology: EntrypointTopology;
  let data: EntrypointNode[];
  let sentinels: EntrypointNode[];
  let client: StateRedis | undefined;

  beforeAll(async () => {
    topology = await EntrypointTopology.create('deploy-e2e-redis-auth', PASSWORDS);
    ({ data, sentinels } = topology);
    await topology.startAll(); // replicas in sync (as `replication`), sentinels agree (auth-user `sentinel`, requirepass among themselves)
  });

  afterAll(async () => {
    await client?.close();
    await topology?.stop();
  });

  const as = (user: string) => ({ username: user, password: PASSWORDS[`REDIS_${user.toUpperCase()}_PASSWORD`] });

  it('answers NOAUTH without a password, on every data node and every sentinel', async () => {
    for (const node of [...data, ...sentinels]) expect(await reason(redisCommand(node.port, ['PING']))).toMatch(/^NOAUTH/);
    expect(await reason(redisCommand(data[0].port, ['PING'], { password: 'a-guessed-password' }))).toMatch(/WRONGPASS/);
  });

  it("lets a service's user do only its own work", async () => {
    const master = data[0].port;
    // its own keys, and its own registry entries
    await expect(redisCommand(master, ['SET', 'failsoft:likes:p1', '1'], as('likes'))).resolves.toBe('OK');
    await expect(redisCommand(master, ['SET', 'failsoft:registry:{likes}:instance:likes-1', '{}'], as('likes'))).resolves.toBe('OK');
    // another service's registry entries only read, another's data not at all, fault rules only read
    await expect(redisCommand(master, ['GET', 'failsoft:registry:{upload}:instance:upload-1'], as('likes'))).resolves.toBeNull();
    expect(await reason(redisCommand(master, ['SET', 'failsoft:registry:{upload}:instance:likes-9', '{}'], as('likes')))).toMatch(/^NOPERM/);
    expect(await reason(redisCommand(master, ['GET', 'failsoft:post:p1'], as('likes')))).toMatch(/^NOPERM/);
    expect(await reason(redisCommand(master, ['HSET', 'failsoft:faults:rules', 'x', '{}'], as('gateway')))).toMatch(/^NOPERM/);
    // no admin or dangerous command for any service, but ROLE (the durable writes check they write to the master) and INFO (the client's ready check)
    for (const user of ['upload', 'likes', 'feed', 'gateway']) {
      expect(`${user}: ${JSON.stringify(await redisCommand(master, ['ROLE'], as(user)))}`).toMatch(new RegExp(`^${user}: \\["master",`));
      expect(await redisCommand(master, ['INFO', 'server'], as(user))).toMatch(/redis_version/);
      for (const command of [['FLUSHALL'], ['CONFIG', 'SET', 'maxmemory', '1'], ['KEYS', '*'], ['REPLICAOF', 'NO', 'ONE'], ['ACL', 'LIST'], ['SHUTDOWN']]) {
        expect(`${user} ${command[0]}: ${await reason(redisCommand(master, command, as(user)))}`).toMatch(new RegExp(`^${user} ${command[0]}: NOPERM`));
      }
    }
    // the replication and sentinel users hold no data
    expect(await reason(redisCommand(master, ['GET', 'failsoft:likes:p1'], as('replication')))).toMatch(/^NOPERM/);
    expect(await reason(redisCommand(master, ['GET', 'failsoft:likes:p1'], { username: 'sentinel', password: PASSWORDS['REDIS_MONITOR_PASSWORD'] }))).toMatch(/^NOPERM/);
  });

  it('refuses to start with authentication half set up, naming the variable', async () => {
    const short = await topology.refuses(data[0], { REDIS_LIKES_PASSWORD: 'short' });
    expect(short.code).toBe(64);
    expect(short.output).toMatch(/REDIS_LIKES_PASSWORD must be set to 16\+ characters when REDIS_ADMIN_PASSWORD is set \(got 5\); generate them: deploy\/docker\/secrets\.sh/);
    const missing = await topology.refuses(sentinels[0], { REDIS_SENTINEL_PASSWORD: undefined });
    expect(missing.code).toBe(64);
    expect(missing.output).toMatch(/REDIS_SENTINEL_PASSWORD must be set/);
  });

  it('keeps passwords out of the ACL file (hashes only, mode 0600)', () => {
    const acl = readFileSync(join(data[0].dir, 'users.acl'), 'utf8');
    for (const password of Object.values(PASSWORDS)) expect(acl).not.toContain(password);
    expect(acl).toMatch(/^user likes on #[0-9a-f]{64} /m);
    expect(statSync(join(data[0].dir, 'users.acl')).mode & 0o077).toBe(0);
  });

  it('fails over with authentication: the apps\' client (as its ACL user) follows, the old master rejoins as a replica', async () => {
    client = createSentinelClient({
      sentinels: sentinels.map((s) => ({ host: HOST, port: s.port })),
      masterName: MASTER_NAME,
      ...as('upload'),
      sentinelPassword: PASSWORDS['REDIS_SENTINEL_PASSWORD'],
      errorLogIntervalMs: 60_000,
      logger: { warn: () => undefined },
    });
    await client.set('failsoft:post:before', 'kept');
    expect(await client.call('WAIT', 1, 2000)).toBeGreaterThanOrEqual(1);
    const old = data[0];
    await topology.kill(old);
    const promoted = await waitUntil(
      async () => {
        const port = await topology.masterPortSeenBy(sentinels[0]);
        return port !== undefined && port !== old.port && (await topology.replication(port))['role'] === 'master' ? port : undefined;
      },
      { timeoutMs: 30_000, message: 'the sentinels to promote a replica (they authenticate as `sentinel`)' },
    );
    await waitUntil(async () => (await client?.set('failsoft:post:after', 'written').catch(() => undefined)) === 'OK', { timeoutMs: 30_000, message: 'the client to write to the new master' });
    expect(await client.get('failsoft:post:before')).toBe('kept');
    topology.start(old);
    await waitUntil(
      async () => {
        const info = await topology.replication(old.port).catch(() => ({}) as Record<string, string>);
        return info['role'] === 'slave' && info['master_link_status'] === 'up' && info['master_port'] === String(promoted);
      },
      { timeoutMs: 30_000, message: `the old master to rejoin as a replica of :${promoted} (masteruser replication)` },
    );
  });
});
