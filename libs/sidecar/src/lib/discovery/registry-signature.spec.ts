import { Redis } from 'ioredis';
import { startRedisServer, waitUntil, type RedisServerHandle } from '@failsoft/testing';
import type { ServiceInstance } from '../core/instance';
import { isInvalidOptionsError } from '../core/sidecar.error';
import { RedisRegistry, registryKeys } from './redis.registry';
import { RedisResolver } from './redis.resolver';
import { RegistrySigner } from './registry-signature';

jest.setTimeout(30_000);

const KEY = 'shared-discovery-key-of-the-services';
const likes = (id: string, port: number): ServiceInstance => ({ id, service: 'likes', address: `127.0.0.1:${port}`, zone: 'z1', weight: 1, metadata: { v: '1' } });
const ids = (view: readonly ServiceInstance[]): string[] => view.map((i) => i.id);

function connect(port: number): Redis {
  const redis = new Redis({ host: '127.0.0.1', port, retryStrategy: () => 100, maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined);
  return redis;
}

describe('RegistrySigner', () => {
  it('verifies what it signed and nothing changed or signed under another key', () => {
    const signer = new RegistrySigner(KEY);
    const signed = signer.signInstance(likes('likes-1', 5001));
    expect(signer.verifyInstance(likes('likes-1', 5001), signed.sig)).toBe(true);
    expect(signer.verifyInstance(likes('likes-1', 5999), signed.sig)).toBe(false); // same id, another address
    expect(signer.verifyInstance(likes('likes-9', 5001), signed.sig)).toBe(false);
    expect(new RegistrySigner(`${KEY}-other`).verifyInstance(likes('likes-1', 5001), signed.sig)).toBe(false);
    expect(signer.verifyInstance(likes('likes-1', 5001), undefined)).toBe(false);
    expect(signer.verifyLeave('likes', 'likes-1', '127.0.0.1:5001', signer.signLeave('likes', 'likes-1', '127.0.0.1:5001'))).toBe(true);
    expect(signer.verifyLeave('likes', 'likes-2', '127.0.0.1:5001', signer.signLeave('likes', 'likes-1', '127.0.0.1:5001'))).toBe(false);
  });

  it('derives the same key from the same token, another from another token', () => {
    const sig = RegistrySigner.fromToken('token-of-the-platform-1').signInstance(likes('likes-1', 5001)).sig;
    expect(RegistrySigner.fromToken('token-of-the-platform-1').verifyInstance(likes('likes-1', 5001), sig)).toBe(true);
    expect(RegistrySigner.fromToken('token-of-the-platform-2').verifyInstance(likes('likes-1', 5001), sig)).toBe(false);
  });

  it('refuses a short or missing key at construction, naming it', () => {
    for (const bad of ['short', '', undefined, 42]) {
      let error: unknown;
      try {
        new RegistrySigner(bad as string);
      } catch (e) {
        error = e;
      }
      expect(isInvalidOptionsError(error)).toBe(true);
      expect((error as Error).message).toMatch(/discovery\.key must be a string of at least 16 characters/);
    }
  });
});

describe('signed discovery (real redis-server)', () => {
  let server: RedisServerHandle;
  const clients: Redis[] = [];
  const stoppables: Array<{ shutdown(): Promise<void> }> = [];
  const keys = registryKeys('failsoft:registry', 'likes');
  const signer = new RegistrySigner(KEY);

  function client(): Redis {
    const c = connect(server.port);
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterEach(async () => {
    await Promise.all(stoppables.splice(0).map((s) => s.shutdown()));
    clients.splice(0).forEach((c) => c.disconnect());
    const admin = connect(server.port);
    await admin.flushall();
    admin.disconnect();
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** What someone with Redis access but no key does: three commands register a fake likes-9. */
  async function forge(admin: Redis, fake: ServiceInstance, sig?: string, store = true): Promise<void> {
    const entry = JSON.stringify(sig === undefined ? fake : { ...fake, sig });
    if (store) {
      await admin.set(keys.instance(fake.id), entry, 'PX', 60_000);
      await admin.zadd(keys.index, Date.now() + 60_000, fake.id);
    }
    await admin.publish(keys.events, JSON.stringify({ type: 'join', instance: sig === undefined ? fake : { ...fake, sig } }));
  }

  it('ignores unsigned and badly signed entries and events; counts them, reports each id once', async () => {
    const registry = new RedisRegistry({ redis: client(), ttlMs: 2_000, heartbeatMs: 200, signer });
    stoppables.push(registry);
    await registry.register(likes('likes-1', 5001));
    const resolver = new RedisResolver({ redis: client(), service: 'likes', refreshMs: 100, timeoutMs: 500, signer });
    stoppables.push(resolver);
    const refused: string[] = [];
    resolver.onRejectedEntry((m) => refused.push(m));
    await resolver.start();
    expect(ids(resolver.instances())).toEqual(['likes-1']);

    const admin = client();
    await forge(admin, likes('likes-9', 6666)); // unsigned
    const stolen = signer.signInstance(likes('likes-1', 5001)).sig; // a real signature, copied to another entry
    await forge(admin, likes('likes-8', 6666), stolen);
    await forge(admin, likes('likes-1', 6666), stolen, false); // a join event: the real id, the attacker's address
    // the entries are read on every refresh: wait for several, they must never get in
    await waitUntil(() => resolver.rejectedEntries >= 9, { timeoutMs: 10_000, message: 'three refreshes reading the forged entries' });
    expect(ids(resolver.instances())).toEqual(['likes-1']);
    expect(resolver.instances().map((i) => i.address)).toEqual(['127.0.0.1:5001']);
    expect(refused.filter((m) => m.includes('"likes-9"'))).toHaveLength(1);
    expect(refused.filter((m) => m.includes('"likes-8"'))).toHaveLength(1);
    expect(refused[0]).toMatch(/unsigned or badly signed entry/);

    // a forged leave does not remove the real instance, even for a moment
    let removed = false;
    resolver.onChange((view) => (removed ||= !ids(view).includes('likes-1')));
    await admin.publish(keys.events, JSON.stringify({ type: 'leave', id: 'likes-1', address: '127.0.0.1:5001' }));
    await waitUntil(() => refused.some((m) => m.includes('leave event')), { timeoutMs: 5_000, message: 'the forged leave to be refused' });
    expect(removed).toBe(false);
    expect(ids(resolver.instances())).toEqual(['likes-1']);
  });

  it('stores and announces signed entries; a signed leave removes the instance', async () => {
    const registry = new RedisRegistry({ redis: client(), ttlMs: 2_000, heartbeatMs: 200, signer });
    stoppables.push(registry);
    const resolver = new RedisResolver({ redis: client(), service: 'likes', refreshMs: 5_000, timeoutMs: 500, signer });
    stoppables.push(resolver);
    await resolver.start();
    const registration = await registry.register(likes('likes-2', 5002));
    await waitUntil(() => ids(resolver.instances()).includes('likes-2'), { timeoutMs: 5_000, message: 'the signed join event' });
    const stored = JSON.parse((await client().get(keys.instance('likes-2'))) as string) as { sig: string };
    expect(signer.verifyInstance(likes('likes-2', 5002), stored.sig)).toBe(true);
    await registration.deregister();
    await waitUntil(() => resolver.instances().length === 0, { timeoutMs: 5_000, message: 'the signed leave event' });
    expect(resolver.rejectedEntries).toBe(0);
  });

  it('writes its entry again when someone overwrote it (the resolvers keep the real instance)', async () => {
    const registry = new RedisRegistry({ redis: client(), ttlMs: 2_000, heartbeatMs: 100, signer });
    stoppables.push(registry);
    await registry.register(likes('likes-1', 5001));
    const admin = client();
    await admin.set(keys.instance('likes-1'), JSON.stringify(likes('likes-1', 6666)), 'PX', 60_000);
    await waitUntil(async () => JSON.parse((await admin.get(keys.instance('likes-1'))) ?? '{}').address === '127.0.0.1:5001', {
      timeoutMs: 5_000,
      message: 'the next heartbeat to write the real entry again',
    });
    const resolver = new RedisResolver({ redis: client(), service: 'likes', refreshMs: 100, timeoutMs: 500, signer });
    stoppables.push(resolver);
    await resolver.start();
    expect(resolver.instances().map((i) => i.address)).toEqual(['127.0.0.1:5001']);
  });

  it('a resolver under another key uses none of the entries', async () => {
    const registry = new RedisRegistry({ redis: client(), ttlMs: 2_000, heartbeatMs: 200, signer });
    stoppables.push(registry);
    await registry.register(likes('likes-1', 5001));
    const resolver = new RedisResolver({ redis: client(), service: 'likes', refreshMs: 100, timeoutMs: 500, signer: new RegistrySigner(`${KEY}-other`) });
    stoppables.push(resolver);
    await resolver.start();
    expect(resolver.instances()).toEqual([]);
    expect(resolver.rejectedEntries).toBeGreaterThanOrEqual(1);
  });
});
