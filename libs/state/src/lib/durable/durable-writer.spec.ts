import { redisCommand, waitUntil } from '@failsoft/testing';
import { ReplicatedServers, startReplicatedServers } from '../../../test/replicated-servers';
import { createRedisClient } from '../client/create-client';
import { StateRedis } from '../client/state-redis';
import { isInvalidArgumentError, isStateOptionsError } from '../state.error';
import { DurabilityError, isDurabilityError } from './durability.error';
import { DurableWriter, durableWrite } from './durable-writer';

jest.setTimeout(30_000);

describe('DurableWriter (real master + 2 replicas)', () => {
  let servers: ReplicatedServers;
  let client: StateRedis;

  beforeAll(async () => {
    servers = await startReplicatedServers(2);
    client = createRedisClient({ port: servers.master.port, errorLogIntervalMs: 60_000 });
  });
  afterAll(async () => {
    await client?.close();
    await servers?.stop();
  });

  it('runs durable writes on dedicated connections, one batch (one WAIT) in flight each, so WAIT never blocks the main connection', async () => {
    // one burst, then writes issued while earlier batches are in flight: each new batch takes a free connection
    const burst = Array.from({ length: 10 }, (_, i) => durableWrite(client, ['SET', `durable:pool:${i}`, String(i)]));
    const later: Array<Promise<unknown>> = [];
    for (let i = 0; i < 6; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      later.push(durableWrite(client, ['SET', `durable:pool:later:${i}`, String(i)]));
    }
    await Promise.all([...burst, ...later]);
    expect(client.durableConnections.length).toBeGreaterThanOrEqual(1);
    expect(client.durableConnections.length).toBeLessThanOrEqual(4);
    const names = await Promise.all(client.durableConnections.map((c) => c.client('ID')));
    expect(new Set([...names, await client.client('ID')]).size).toBe(client.durableConnections.length + 1);
  });

  it('acknowledges a write once every online replica confirmed it, and the replicas have it', async () => {
    const writer = new DurableWriter(client);
    const ack = await writer.write(['SET', 'durable:one', 'v1']);
    expect(ack).toEqual({ result: 'OK', acknowledgedBy: 2, required: 2 });
    for (const replica of servers.replicas) expect(await redisCommand(replica.port, ['GET', 'durable:one'])).toBe('v1');
  });

  it('runs several commands atomically (MULTI/EXEC) and returns every reply', async () => {
    const ack = await durableWrite(client, [
      ['SET', 'durable:a', '1'],
      ['INCRBY', 'durable:a', 41],
      ['RPUSH', 'durable:list', 'x', 'y'],
    ]);
    expect(ack.result).toEqual(['OK', 42, 2]);
    expect(ack.acknowledgedBy).toBe(2);
  });

  it('honours an explicit replica count', async () => {
    await expect(durableWrite(client, ['SET', 'durable:n', '1'], { replicas: 1 })).resolves.toMatchObject({ required: 1 });
    await expect(durableWrite(client, ['SET', 'durable:n', '1'], { replicas: 0 })).resolves.toEqual({ result: 'OK', acknowledgedBy: 0, required: 0 });
  });

  it('throws NOT_DURABLE, saying how many replicas acked of how many, when a replica hangs', async () => {
    const hung = servers.replicas[1];
    hung.kill('SIGSTOP');
    try {
      const error = await durableWrite(client, ['SET', 'durable:hung', '1'], { timeoutMs: 200 }).catch((e: unknown) => e);
      expect(isDurabilityError(error)).toBe(true);
      const d = error as DurabilityError;
      expect(d.code).toBe('NOT_DURABLE');
      expect(d.reason).toBe('TIMEOUT');
      expect(d.message).toMatch(/^write not durable: 1 of 2 required replica\(s\) acknowledged it within 200 ms\./);
      expect(d.message).toMatch(/retry the write/);
      // fewer replicas asked for: fine
      await expect(durableWrite(client, ['SET', 'durable:hung', '2'], { replicas: 1, timeoutMs: 200 })).resolves.toMatchObject({ acknowledgedBy: 1 });
    } finally {
      hung.kill('SIGCONT');
    }
  });

  it('reports CONNECTION_CHANGED when the connection was replaced between the write and its WAIT', async () => {
    const hung = servers.replicas[1];
    // one dedicated durable connection: the one to cut
    const single = createRedisClient({ port: servers.master.port, durableConnections: 1, errorLogIntervalMs: 60_000 });
    await durableWrite(single, ['SET', 'durable:warm', '1']);
    const id = await single.durableConnections[0].client('ID');
    hung.kill('SIGSTOP');
    try {
      const pending = durableWrite(single, ['SET', 'durable:moved', '1'], { timeoutMs: 1500 }).catch((e: unknown) => e);
      // WAIT is now blocked on the hung replica: cut the connection under it. ioredis reconnects and
      // resends WAIT on a fresh connection, which does not cover the write sent on the old one (after
      // a failover that fresh connection is to ANOTHER server, whose replicas confirm at once).
      await waitUntil(async () => /\bcmd=wait\b/.test(String(await redisCommand(servers.master.port, ['CLIENT', 'LIST', 'ID', String(id)]))), {
        timeoutMs: 10_000,
        intervalMs: 10,
        message: 'the WAIT to be blocked on the master (CLIENT LIST shows cmd=wait)',
      });
      await redisCommand(servers.master.port, ['CLIENT', 'KILL', 'ID', String(id)]);
      const error = await pending;
      expect(isDurabilityError(error)).toBe(true);
      expect((error as DurabilityError).reason).toBe('CONNECTION_CHANGED');
      expect((error as Error).message).toMatch(/connection to redis was replaced between the write and its WAIT/);
    } finally {
      hung.kill('SIGCONT');
      await single.close();
    }
  });

  it('rethrows command errors as they are', async () => {
    await client.set('durable:string', 'x');
    await expect(durableWrite(client, ['LPUSH', 'durable:string', 'y'])).rejects.toThrow(/^WRONGTYPE/);
    await expect(durableWrite(client, [['SET', 'durable:t', '1'], ['LPUSH', 'durable:string', 'y']])).rejects.toThrow(/^WRONGTYPE/);
  });

  it('rejects invalid options and commands, naming the bad value', () => {
    const cases: Array<[() => unknown, string]> = [
      [() => new DurableWriter(client, { replicas: -1 }), 'durable.replicas must be an integer >= 0 or "all"; got -1'],
      [() => new DurableWriter(client, { replicas: 'most' as never }), 'durable.replicas must be an integer >= 0 or "all"; got "most"'],
      [() => new DurableWriter(client, { timeoutMs: 0 }), 'durable.timeoutMs must be an integer from 1 to 600000; got 0'],
      [() => new DurableWriter(client, { timeoutMs: 5000 }), "durable.timeoutMs must be lower than the client's commandTimeout (5000 ms), or WAIT itself times out; got 5000"],
      [() => new DurableWriter(client, { replica: 1 } as never), 'durable.replica is not a known option (known: replicas, minReplicas, timeoutMs, replicaSet); got 1'],
      [() => new DurableWriter(client, { replicaSet: 'most' } as never), 'durable.replicaSet must be "sentinel" or "online"; got "most"'],
    ];
    for (const [make, message] of cases) {
      let error: unknown;
      try {
        make();
      } catch (e) {
        error = e;
      }
      expect(isStateOptionsError(error)).toBe(true);
      expect((error as Error).message).toBe(message);
    }
    // resolved options are frozen: group commit keys its batches by the options object
    const options = new DurableWriter(client, { timeoutMs: 300 }).options;
    expect(Object.isFrozen(options)).toBe(true);
    expect(() => Object.assign(options, { timeoutMs: 1 })).toThrow(TypeError);
  });

  it('rejects bad commands before sending anything, naming the bad value', async () => {
    const writer = new DurableWriter(client);
    const cases: Array<[unknown, string]> = [
      [[], 'durable write commands must be a command like [\'SET\', key, value] or a non-empty list of them; got []'],
      [['SET', 'k', { a: 1 }], 'durable write commands argument 2 must be a string, a finite number or a Buffer; got {"a":1}'],
      [[['SET', 'k', 'v'], ['WAIT', 1, 0]], 'durable write commands[1] may not be WAIT (the write is framed and WAITed for you); got ["WAIT",1,0]'],
      [[[42]], 'durable write commands[0] must be an array starting with a command name, e.g. [\'SET\', key, value]; got [42]'],
    ];
    for (const [commands, message] of cases) {
      const error = await writer.write(commands as never).catch((e: unknown) => e);
      expect(isInvalidArgumentError(error)).toBe(true);
      expect((error as Error).message).toBe(message);
    }
  });
});
