import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createSentinelClient, type StateRedis } from '@failsoft/state';
import { pairsToMap, redisCommand, waitUntil } from '@failsoft/testing';
import { kustomize, podSpecOf, type K8sObject } from './support/k8s';
import { quantityBytes } from './support/k8s-quantity';
import { containerEnv, effectiveMaxmemory, envValue, find } from './support/k8s-rules';
import { EntrypointTopology, HOST, MASTER_NAME, type EntrypointNode } from './support/redis-nodes';

/**
 * deploy/redis (the configs and entrypoint that docker-compose.yml and deploy/k8s run) really makes
 * a Redis Sentinel topology: run here with the machine's redis-server on free loopback ports, it
 * replicates, fails over when the master is killed, and a restarted or replaced node rejoins as a
 * replica of the current master (not of the initial one); sentinels rebuilt after losing their
 * volumes monitor the current master; the preStop hand-over moves the master role without losing
 * an acknowledged write; maxmemory and the Sentinel timings come from deploy/k8s's settings.
 */
describe('deploy/redis configs and entrypoint', () => {
  let topology: EntrypointTopology;
  let data: EntrypointNode[];
  let sentinels: EntrypointNode[];

  beforeAll(async () => {
    topology = await EntrypointTopology.create('deploy-e2e-redis');
    ({ data, sentinels } = topology);
  });

  afterAll(async () => {
    await client?.close();
    await topology?.stop();
  });

  let client: StateRedis | undefined;
  /** The apps' Redis client (libs/state): asks the sentinels for the master, follows failovers. */
  const appClient = (): StateRedis =>
    (client ??= createSentinelClient({
      sentinels: sentinels.map((s) => ({ host: HOST, port: s.port })),
      masterName: MASTER_NAME,
      errorLogIntervalMs: 60_000,
      logger: { warn: () => undefined },
    }));
  const currentMaster = async (): Promise<EntrypointNode> => {
    const port = await topology.masterPortSeenBy(sentinels[0]);
    return data.find((n) => n.port === port) as EntrypointNode;
  };
  /**
   * A write acknowledged by a replica (the apps' durable write: SET, then WAIT 1), retried as a
   * user would while the client follows a failover: a command in flight when the killed master's
   * socket closes fails with "Connection is closed." and the next one reaches the new master. A
   * client that stopped reconnecting for good keeps failing and times this out (last error named).
   */
  const durableSet = async (key: string, value: string): Promise<void> => {
    await waitUntil(
      async () => {
        await appClient().set(key, value);
        return Number(await appClient().call('WAIT', 1, 2000)) >= 1;
      },
      { timeoutMs: 20_000, intervalMs: 200, message: `a durable write of ${key} (SET + WAIT 1) to be acknowledged` },
    );
  };

  it('starts 1 master, 2 replicas and 3 sentinels that agree on the master', async () => {
    await topology.startAll();
    expect(readFileSync(join(data[1].dir, 'redis.conf'), 'utf8')).toMatch(new RegExp(`^replicaof ${HOST} ${data[0].port}$`, 'm'));
    expect(readFileSync(join(data[0].dir, 'redis.conf'), 'utf8')).not.toMatch(/^replicaof /m);
  });

  it('fails over when the master is killed, without losing a replicated write', async () => {
    await redisCommand(data[0].port, ['SET', 'failsoft:deploy-e2e', 'kept']);
    expect(await redisCommand(data[0].port, ['WAIT', 1, 5000], { timeoutMs: 8000 })).toBeGreaterThanOrEqual(1);
    await topology.kill(data[0]);
    const newMaster = await waitUntil(
      async () => {
        const port = await topology.masterPortSeenBy(sentinels[0]);
        return port !== undefined && port !== data[0].port ? port : undefined;
      },
      { timeoutMs: 30_000, message: 'the sentinels to promote a replica' },
    );
    await waitUntil(async () => (await topology.replication(newMaster))['role'] === 'master', { timeoutMs: 10_000, message: 'the promoted replica to become master' });
    expect(await redisCommand(newMaster, ['GET', 'failsoft:deploy-e2e'])).toBe('kept');
  });

  it('brings the old master back as a replica of the new one (its config reused, pointed at the current master)', async () => {
    const newMaster = (await topology.masterPortSeenBy(sentinels[0])) as number;
    topology.start(data[0]);
    await waitUntil(
      async () => {
        const replication = await topology.replication(data[0].port);
        return replication['role'] === 'slave' && replication['master_port'] === String(newMaster) && replication['master_link_status'] === 'up';
      },
      { timeoutMs: 30_000, message: `${data[0].name} to replicate the new master (output: ${data[0].output})` },
    );
    expect(data[0].output).toContain(`reusing ${join(data[0].dir, 'redis.conf')}; the current master is ${HOST}:${newMaster}: replicating it`);
    expect(readFileSync(join(data[0].dir, 'redis.conf'), 'utf8').match(/^replicaof .*$/gm)).toEqual([`replicaof ${HOST} ${newMaster}`]);
    // and the sentinels count it as a replica again
    await waitUntil(async () => pairsToMap(await redisCommand(sentinels[0].port, ['SENTINEL', 'master', MASTER_NAME]))['num-slaves'] === '2', { timeoutMs: 20_000, message: 'the sentinels to list 2 replicas' });
  });

  it('starts a replaced node (empty data dir) as a replica of the master the sentinels name', async () => {
    const newMaster = (await topology.masterPortSeenBy(sentinels[0])) as number;
    const replaced = data.find((n) => n.port !== newMaster && n !== data[0]) as EntrypointNode;
    await topology.kill(replaced);
    rmSync(replaced.dir, { recursive: true, force: true });
    topology.start(replaced);
    await waitUntil(
      async () => {
        const replication = await topology.replication(replaced.port);
        return replication['role'] === 'slave' && replication['master_port'] === String(newMaster) && replication['master_link_status'] === 'up';
      },
      { timeoutMs: 30_000, message: `${replaced.name} to replicate the current master (output: ${replaced.output})` },
    );
    expect(replaced.output).toContain(`first start: the current master is ${HOST}:${newMaster}`);
    expect(await redisCommand(replaced.port, ['GET', 'failsoft:deploy-e2e'])).toBe('kept');
  });

  it('rebuilds sentinels that lost their volumes after a failover around the CURRENT master (not INITIAL_MASTER_HOST); writes keep working', async () => {
    const master = await currentMaster();
    // the scenario: INITIAL_MASTER_HOST (data[0]) is a replica now, so monitoring it blindly would
    // tell the apps a read-only node is the master
    expect(master).not.toBe(data[0]);
    expect((await topology.replication(data[0].port))['role']).toBe('slave');
    for (const sentinel of sentinels) await topology.kill(sentinel);
    for (const sentinel of sentinels) rmSync(sentinel.dir, { recursive: true, force: true });
    for (const sentinel of sentinels) topology.start(sentinel);
    for (const sentinel of sentinels) await topology.waitForSentinel(sentinel, master.port);
    for (const sentinel of sentinels) expect(sentinel.output).toContain(`first start: the current master is ${HOST}:${master.port}`);
    await durableSet('failsoft:after-sentinel-loss', 'written');
    expect(await redisCommand(master.port, ['GET', 'failsoft:after-sentinel-loss'])).toBe('written');

    // and the rebuilt sentinels really guard it: kill that master, they fail over (never to
    // data[0], made unpromotable so that it stays the replica the next case needs)
    await redisCommand(data[0].port, ['CONFIG', 'SET', 'replica-priority', '0']);
    await topology.kill(master);
    const next = await waitUntil(async () => ((await currentMaster())?.port !== master.port ? await currentMaster() : undefined), { timeoutMs: 30_000, message: 'the rebuilt sentinels to fail over' });
    expect(next).not.toBe(data[0]);
    await durableSet('failsoft:after-sentinel-loss', 'written again');
    expect(await redisCommand(next.port, ['GET', 'failsoft:after-sentinel-loss'])).toBe('written again');
    await redisCommand(data[0].port, ['CONFIG', 'SET', 'replica-priority', '100']);
    topology.start(master);
    await waitUntil(async () => (await topology.replication(master.port))['master_link_status'] === 'up', { timeoutMs: 30_000, message: `${master.name} to rejoin as a replica (output: ${master.output})` });
  });

  it('rebuilds a sentinel with only INITIAL_MASTER_HOST to ask (compose: no REDIS_NODES, no other sentinel answering) around the master that node follows', async () => {
    const master = await currentMaster();
    expect((await topology.replication(data[0].port))['role']).toBe('slave');
    const lone = sentinels[2];
    await topology.kill(lone);
    rmSync(lone.dir, { recursive: true, force: true });
    topology.start(lone, { REDIS_NODES: undefined, SENTINELS: `${HOST}:${lone.port}` });
    await topology.waitForSentinel(lone, master.port);
    expect(lone.output).toContain(`first start: the current master is ${HOST}:${master.port}`);
  });

  it('hands the master role over in the preStop hook (handover.sh) without an error or a lost acknowledged write', async () => {
    const old = await currentMaster();
    const acked: number[] = [];
    const errors: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        try {
          await appClient().set(`failsoft:handover:${i}`, String(i));
          if (Number(await appClient().call('WAIT', 1, 1000)) >= 1) acked.push(i);
        } catch (error) {
          errors.push(String(error));
        }
      }
    })();
    try {
      await waitUntil(() => acked.length >= 20, { timeoutMs: 20_000, message: 'the writer to get going' });
      const run = await topology.handover(old);
      expect({ code: run.code, output: run.output }).toEqual({ code: 0, output: expect.stringMatching(/handed over to 127\.0\.0\.1:\d+; this node is a replica now/) });
      expect(run.output).toContain('writes paused; waiting for the replicas to catch up');
      const next = await currentMaster();
      expect(next).not.toBe(old);
      for (const sentinel of sentinels) await waitUntil(async () => (await topology.masterPortSeenBy(sentinel)) === next.port, { timeoutMs: 20_000, message: `${sentinel.name} to name the new master` });
      expect(await topology.replication(old.port)).toMatchObject({ role: 'slave', master_port: String(next.port) });
      const atHandover = acked.length;
      await waitUntil(() => acked.length >= atHandover + 20, { timeoutMs: 20_000, message: 'acknowledged writes on the new master' });
    } finally {
      writing = false;
      await writer;
    }
    const master = await currentMaster();
    const values = (await redisCommand(master.port, ['MGET', ...acked.map((i) => `failsoft:handover:${i}`)])) as Array<string | null>;
    expect(acked.filter((i, k) => values[k] !== String(i))).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('changes nothing when the hook runs on a replica', async () => {
    const master = await currentMaster();
    const replica = data.find((n) => n !== master) as EntrypointNode;
    const run = await topology.handover(replica);
    expect(run).toEqual({ code: 0, output: expect.stringContaining('this node is not the master (slave): nothing to hand over') });
    expect(await currentMaster()).toBe(master);
  });

  it('sets maxmemory from the container memory limit as deploy/k8s configures it, and refuses a bad share', async () => {
    const objects = kustomize('deploy/k8s');
    const redis = podSpecOf(find(objects, 'StatefulSet', 'redis') as K8sObject).containers[0];
    const limit = quantityBytes(redis.resources.limits.memory);
    const percent = envValue(containerEnv(objects, redis), 'REDIS_MAXMEMORY_PERCENT') as string;
    const master = await currentMaster();
    const node = data.find((n) => n !== master && n !== data[0]) as EntrypointNode;
    await topology.kill(node, 'SIGTERM');
    topology.start(node, { MEMORY_LIMIT_BYTES: String(limit), REDIS_MAXMEMORY_PERCENT: percent });
    const maxmemory = await waitUntil(async () => ((await redisCommand(node.port, ['CONFIG', 'GET', 'maxmemory']).catch(() => undefined)) as string[] | undefined)?.[1], {
      timeoutMs: 20_000,
      message: `${node.name} to restart (output: ${node.output})`,
    });
    expect(Number(maxmemory)).toBe(effectiveMaxmemory(objects, redis));
    expect(Number(maxmemory)).toBeLessThan(limit);
    expect(node.output).toContain(`maxmemory ${maxmemory}`);
    const refused = await topology.refuses(data[0], { MEMORY_LIMIT_BYTES: String(limit), REDIS_MAXMEMORY_PERCENT: '95' });
    expect(refused).toEqual({ code: 64, output: expect.stringContaining("REDIS_MAXMEMORY_PERCENT must be an integer from 10 to 90; got '95'") });
    const notBytes = await topology.refuses(data[0], { MEMORY_LIMIT_BYTES: '1Gi' });
    expect(notBytes).toEqual({ code: 64, output: expect.stringContaining("MEMORY_LIMIT_BYTES must be a number of bytes; got '1Gi'") });
  });

  it('applies the Sentinel timings of components/production-timing on a restart of an existing sentinel', async () => {
    const config = kustomize('deploy/k8s/overlays/production').find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('redis-config-')) as K8sObject;
    const timings = { SENTINEL_DOWN_AFTER_MS: config.data['SENTINEL_DOWN_AFTER_MS'], SENTINEL_FAILOVER_TIMEOUT_MS: config.data['SENTINEL_FAILOVER_TIMEOUT_MS'] };
    const master = await currentMaster();
    await topology.kill(sentinels[1], 'SIGTERM');
    topology.start(sentinels[1], timings);
    await topology.waitForSentinel(sentinels[1], master.port);
    const seen = async (sentinel: EntrypointNode) => {
      const m = pairsToMap(await redisCommand(sentinel.port, ['SENTINEL', 'master', MASTER_NAME]));
      return { downAfter: m['down-after-milliseconds'], failoverTimeout: m['failover-timeout'] };
    };
    expect(await seen(sentinels[1])).toEqual({ downAfter: timings.SENTINEL_DOWN_AFTER_MS, failoverTimeout: timings.SENTINEL_FAILOVER_TIMEOUT_MS });
    // the others keep the template's demo values (so the variables, not the template, did it)
    expect(await seen(sentinels[0])).toEqual({ downAfter: '2000', failoverTimeout: '3000' });
  });
});
