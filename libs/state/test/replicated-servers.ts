// Test support: a master with N replicas started from redis-server on free loopback ports (no
// sentinels), for specs that need real replication but no failover.
import { Redis } from 'ioredis';
import { RedisServerHandle, redisCommand, startRedisServer, waitUntil } from '@failsoft/testing';

/** A master and its replicas. */
export interface ReplicatedServers {
  /** The master. */
  master: RedisServerHandle;
  /** Its replicas, in sync when returned. */
  replicas: RedisServerHandle[];
  /** Stops every server (idempotent). */
  stop(): Promise<void>;
}

/** Starts a master with `count` replicas and waits until they are online. */
export async function startReplicatedServers(count: number): Promise<ReplicatedServers> {
  const servers: RedisServerHandle[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    const master = await startRedisServer();
    servers.push(master);
    for (let i = 0; i < count; i++) servers.push(await startRedisServer({ replicaOf: { host: master.host, port: master.port } }));
    await waitUntil(
      async () => {
        const role = (await redisCommand(master.port, ['ROLE'])) as unknown[];
        return Array.isArray(role[2]) && role[2].length === count;
      },
      { timeoutMs: 15_000, message: `${count} replicas online` },
    );
    // Redis 7.0 starts streaming commands to a freshly synced replica only after its first ACK
    // (up to 1 s): wait for that, so WAIT timings in specs start from a steady state
    const probe = new Redis({ port: master.port, maxRetriesPerRequest: 1 });
    probe.on('error', () => undefined);
    try {
      await waitUntil(
        async () => {
          await probe.set('replicated-servers:probe', String(Date.now()));
          return Number(await probe.call('wait', count, 200)) === count;
        },
        { timeoutMs: 15_000, message: `${count} replicas to acknowledge writes` },
      );
    } finally {
      probe.disconnect();
    }
    return { master, replicas: servers.slice(1), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
