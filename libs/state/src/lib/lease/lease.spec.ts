import { redisCommand, sleep, waitUntil } from '@failsoft/testing';
import { ReplicatedServers, startReplicatedServers } from '../../../test/replicated-servers';
import { createRedisClient } from '../client/create-client';
import { StateRedis } from '../client/state-redis';
import { isInvalidArgumentError, isStateOptionsError } from '../state.error';
import { fencedWrite } from './fenced-write';
import { FencingError, isFencingError, isLeaseNotHeldError } from './fencing.error';
import { Lease, LeaseLossReason, LeaseTerm } from './lease';
import { LeaseManager } from './lease-manager';

jest.setTimeout(30_000);

describe('leases and fencing (real master + 1 replica)', () => {
  let servers: ReplicatedServers;
  let client: StateRedis;
  let manager: LeaseManager;
  let other: LeaseManager;
  let n = 0;
  const fresh = (): string => `lease-${++n}`;

  beforeAll(async () => {
    servers = await startReplicatedServers(1);
    client = createRedisClient({ port: servers.master.port, errorLogIntervalMs: 60_000 });
    manager = new LeaseManager(client, { ttlMs: 600, holderId: 'alpha' });
    other = new LeaseManager(client, { ttlMs: 600, holderId: 'beta' });
  });
  afterAll(async () => {
    await manager?.shutdown();
    await other?.shutdown();
    await client?.close();
    await servers?.stop();
  });

  it('acquire / renew / release, one holder at a time, tokens increase per term', async () => {
    const name = fresh();
    const a = manager.lease(name);
    const b = other.lease(name);
    const acquired: LeaseTerm[] = [];
    const lost: LeaseLossReason[] = [];
    a.onAcquired((t) => acquired.push(t)).onLost((_t, reason) => lost.push(reason));

    const first = await a.acquire();
    expect(first).toMatchObject({ name, token: 1, holderId: 'alpha' });
    expect(a.isHeld).toBe(true);
    expect(a.token).toBe(1);
    expect(await b.acquire()).toBeUndefined();
    expect(await a.acquire()).toMatchObject({ token: 1 }); // same term, refreshed
    expect(acquired).toHaveLength(1);
    expect(await a.renew()).toBe(true);
    expect(await redisCommand(servers.master.port, ['GET', `failsoft:lease:{${name}}`])).toBe('1:alpha');
    // the replica has the term too (acquisitions are durable by default)
    expect(await redisCommand(servers.replicas[0].port, ['GET', `failsoft:lease:{${name}}`])).toBe('1:alpha');

    expect(await a.release()).toBe(true);
    expect(lost).toEqual(['released']);
    expect(a.isHeld).toBe(false);
    expect(await b.acquire()).toMatchObject({ token: 2, holderId: 'beta' });
    await expect(a.renew()).rejects.toThrow(`cannot renew: lease "${name}" is not held by this process`);
    await b.release();
    expect(await a.acquire()).toMatchObject({ token: 3 });
    await a.release();
  });

  it('a term that is not renewed expires locally and in Redis; the next holder gets a newer token', async () => {
    const name = fresh();
    const a = manager.lease(name);
    const b = other.lease(name);
    const reasons: LeaseLossReason[] = [];
    a.onLost((_t, r) => reasons.push(r));
    const term = await a.acquire();
    expect(term?.validUntil).toBeLessThanOrEqual(Date.now() + 600);
    await waitUntil(() => reasons.length > 0, { timeoutMs: 2000, message: 'local expiry' });
    expect(reasons).toEqual(['expired']);
    const next = await waitUntil(() => b.acquire(), { timeoutMs: 2000, intervalMs: 20, message: 'b to acquire after expiry' });
    expect(next.token).toBe((term?.token ?? 0) + 1);
    // renew by the old holder now fails: it is someone else's term
    await b.release();
  });

  it('renew() reports a term taken by someone else', async () => {
    const name = fresh();
    const a = manager.lease(name);
    const reasons: LeaseLossReason[] = [];
    a.onLost((_t, r) => reasons.push(r));
    await a.acquire();
    await redisCommand(servers.master.port, ['SET', `failsoft:lease:{${name}}`, '99:intruder', 'PX', '5000']);
    expect(await a.renew()).toBe(false);
    expect(reasons).toEqual(['taken']);
  });

  it('fenced writes run only with the newest token; a stale holder is rejected', async () => {
    const name = fresh();
    const a = manager.lease(name);
    const b = other.lease(name);
    const termA = await a.acquire();
    expect(await a.fencedWrite([['SET', `data:{${name}}`, 'from-a'], ['INCR', `count:{${name}}`]])).toEqual(['OK', 1]);
    await a.release();
    const termB = await b.acquire();
    expect(termB?.token).toBe((termA?.token ?? 0) + 1);
    const error = await fencedWrite(client, name, termA?.token ?? 0, ['SET', `data:{${name}}`, 'stale']).catch((e: unknown) => e);
    expect(isFencingError(error)).toBe(true);
    expect((error as FencingError).code).toBe('STALE_FENCING_TOKEN');
    expect((error as Error).message).toBe(
      `fenced write on lease "${name}" rejected: token ${termA?.token} is stale (the current term has token ${termB?.token}); another holder took the lease since, so this process must stop acting as leader`,
    );
    expect(await client.get(`data:{${name}}`)).toBe('from-a');
    expect(await fencedWrite(client, name, termB?.token ?? 0, ['SET', `data:{${name}}`, 'from-b'], { durable: false })).toEqual(['OK']);
    const future = await fencedWrite(client, name, 1000, ['SET', `data:{${name}}`, 'x']).catch((e: unknown) => e);
    expect((future as Error).message).toMatch(/token 1000 was never issued \(the newest is \d+\)/);
    await b.release();
  });

  it('Lease.fencedWrite drops the term when it turns out to be stale', async () => {
    const name = fresh();
    const a = manager.lease(name, { ttlMs: 5000 });
    const reasons: LeaseLossReason[] = [];
    a.onLost((_t, r) => reasons.push(r));
    await a.acquire();
    // someone else's newer term (as after a pause longer than the ttl)
    await redisCommand(servers.master.port, ['INCR', `failsoft:lease:{${name}}:fence`]);
    await expect(a.fencedWrite(['SET', `k:{${name}}`, 'v'])).rejects.toThrow(/is stale/);
    expect(reasons).toEqual(['fenced']);
    expect(isLeaseNotHeldError(await a.fencedWrite(['SET', `k:{${name}}`, 'v']).catch((e: unknown) => e))).toBe(true);
  });

  it('campaign: the standby takes over right after the leader stops renewing', async () => {
    const name = fresh();
    const leader = manager.campaign(name, {}, { ttlMs: 500 });
    const first = await new Promise<LeaseTerm>((resolve) => leader.onAcquired(resolve));
    const events: string[] = [];
    const standby = other.campaign(name, { onAcquired: (t) => events.push(`acquired ${t.token}`), onLost: (t, r) => events.push(`lost ${t.token} ${r}`) }, { ttlMs: 500 });
    await sleep(800); // leader renews every ttl/3: the standby must not get in
    expect(events).toEqual([]);
    await leader.stop(); // releases: the standby gets it without waiting for expiry
    await waitUntil(() => standby.isHeld, { timeoutMs: 2000, message: 'standby to take over' });
    expect(events).toEqual([`acquired ${first.token + 1}`]);
    await standby.shutdown();
    expect(events).toEqual([`acquired ${first.token + 1}`, `lost ${first.token + 1} released`]);
  });

  it('rejects invalid options and arguments, naming the bad value', async () => {
    const cases: Array<[() => unknown, string, (e: unknown) => boolean]> = [
      [() => new Lease(client, 'x', { ttlMs: 50 }), 'lease.ttlMs must be an integer from 100 to 86400000; got 50', isStateOptionsError],
      [() => new Lease(client, 'x', { ttlMs: 1000, renewIntervalMs: 1000 }), 'lease.renewIntervalMs must be an integer from 1 to 999; got 1000', isStateOptionsError],
      [() => new Lease(client, 'has space'), 'lease name must be 1-128 characters of letters, digits and _ . : / -; got "has space"', isInvalidArgumentError],
      [() => new LeaseManager(client, { holderId: '' }), 'leaseDefaults.holderId must be a non-empty string; got ""', isStateOptionsError],
      [() => manager.lease('lease-1'), 'lease "lease-1" already exists in this LeaseManager; reuse it (get("lease-1"))', isInvalidArgumentError],
    ];
    for (const [make, message, guard] of cases) {
      let error: unknown;
      try {
        make();
      } catch (e) {
        error = e;
      }
      expect(guard(error)).toBe(true);
      expect((error as Error).message).toBe(message);
    }
    await expect(fencedWrite(client, 'ok', -3, ['SET', 'k', 'v'])).rejects.toThrow('fencing token must be a positive integer (Lease.token); got -3');
    await expect(fencedWrite(client, 'ok', 1, [['SET']])).rejects.toThrow(
      'fencedWrite commands[0] must have its key (a non-empty string) as first argument; got ["SET"]',
    );
  });
});
