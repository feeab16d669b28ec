import { SentinelTopology, redisCommand, startSentinelTopology, waitUntil } from '@failsoft/testing';
import { createSentinelClient } from '../client/create-client';
import { StateRedis } from '../client/state-redis';
import { DurabilityError, isDurabilityError } from './durability.error';
import { DurableWriter } from './durable-writer';

jest.setTimeout(60_000);

/** Calls of `command` a server has run so far, from its own `INFO commandstats`. */
async function calls(port: number, command: string): Promise<number> {
  const info = String(await redisCommand(port, ['INFO', 'commandstats']));
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

describe('group commit of durable writes (real master + 2 replicas + 3 sentinels, rule sentinel)', () => {
  let topology: SentinelTopology;
  let client: StateRedis;
  let masterPort: number;
  let replicas: SentinelTopology['servers'][number][];

  beforeAll(async () => {
    topology = await startSentinelTopology();
    client = createSentinelClient({ sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })), masterName: topology.masterName, errorLogIntervalMs: 60_000 });
    masterPort = (await topology.currentMaster()).port;
    replicas = topology.servers.filter((s) => s.port !== masterPort);
    // steady state: both replicas acknowledge durable writes
    await waitUntil(() => new DurableWriter(client).write(['SET', 'gc:warm', '1']).then(() => true, () => false), { timeoutMs: 20_000, message: 'a first durable write acknowledged' });
  });
  afterAll(async () => {
    await client?.close();
    await topology?.stop();
  });

  it('concurrent writes share WAITs and sentinel checks: fewer of each than writes, every write acknowledged and on both replicas', async () => {
    const writer = new DurableWriter(client);
    const n = 60;
    const waitsBefore = await calls(masterPort, 'wait');
    const sentinelBefore = await calls(topology.sentinels[0].port, 'sentinel');
    const acks = await Promise.all(Array.from({ length: n }, (_, i) => writer.write(['SET', `gc:many:${i}`, `v${i}`])));
    const waits = (await calls(masterPort, 'wait')) - waitsBefore;
    const sentinelCommands = (await calls(topology.sentinels[0].port, 'sentinel')) - sentinelBefore;
    expect(acks.every((ack) => ack.result === 'OK' && ack.acknowledgedBy === 2 && ack.required === 2)).toBe(true);
    expect(waits).toBeGreaterThanOrEqual(1);
    expect(waits).toBeLessThan(n);
    // a check per write would be 2 commands (SENTINEL MASTER + REPLICAS) per write on every sentinel
    expect(sentinelCommands).toBeLessThan(2 * n);
    for (const replica of replicas) {
      const values = (await redisCommand(replica.port, ['MGET', ...Array.from({ length: n }, (_, i) => `gc:many:${i}`)])) as string[];
      expect(values).toEqual(Array.from({ length: n }, (_, i) => `v${i}`));
    }
  });

  it('a command error fails only its own caller; the rest of the batch is acknowledged', async () => {
    await client.set('gc:string', 'x');
    const writer = new DurableWriter(client);
    const results = await Promise.allSettled([writer.write(['SET', 'gc:mixed:1', '1']), writer.write(['LPUSH', 'gc:string', 'y']), writer.write(['SET', 'gc:mixed:2', '2'])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/WRONGTYPE/);
    expect(isDurabilityError((results[1] as PromiseRejectedResult).reason)).toBe(false);
  });

  it('writes issued together with different options form batches of their own, each with its own replica count', async () => {
    const writer = new DurableWriter(client);
    const one = { replicas: 1 } as const;
    const acks = await Promise.all([
      writer.write(['SET', 'gc:opts:a', '1']),
      writer.write(['SET', 'gc:opts:b', '1'], one),
      writer.write(['SET', 'gc:opts:c', '1']),
      writer.write(['SET', 'gc:opts:d', '1'], one),
    ]);
    expect(acks.map((ack) => ack.required)).toEqual([2, 1, 2, 1]);
  });

  it('with both replicas paused, a whole batch is refused NOT_DURABLE (TIMEOUT) and no write of it is acknowledged', async () => {
    const writer = new DurableWriter(client, { timeoutMs: 300 });
    const n = 20;
    const waitsBefore = await calls(masterPort, 'wait');
    for (const replica of replicas) replica.kill('SIGSTOP');
    let results: PromiseSettledResult<unknown>[];
    try {
      results = await Promise.allSettled(Array.from({ length: n }, (_, i) => writer.write(['SET', `gc:paused:${i}`, '1'])));
    } finally {
      for (const replica of replicas) topology.resume(replica);
    }
    const waits = (await calls(masterPort, 'wait')) - waitsBefore;
    expect(results.filter((r) => r.status === 'fulfilled')).toEqual([]);
    for (const r of results) {
      const error = (r as PromiseRejectedResult).reason as DurabilityError;
      expect(isDurabilityError(error)).toBe(true);
      expect(error.code).toBe('NOT_DURABLE');
      expect(error.reason).toBe('TIMEOUT');
      expect(error.message).toMatch(/^write not durable: 0 of 2 required replica\(s\) acknowledged it within 300 ms\./);
    }
    expect(waits).toBeLessThan(n);
    // writes are acknowledged again once the replicas are back
    await waitUntil(() => writer.write(['SET', 'gc:resumed', '1']).then(() => true, () => false), { timeoutMs: 20_000, message: 'durable writes acknowledged again' });
  });

  it('a write issued after a WAIT was sent is not covered by it: it waits for a WAIT of its own, on another connection', async () => {
    const writer = new DurableWriter(client, { timeoutMs: 4000 });
    const [hung] = replicas;
    const waitsBefore = await calls(masterPort, 'wait');
    hung.kill('SIGSTOP');
    let first: Promise<unknown>;
    let second: Promise<unknown>;
    try {
      first = writer.write(['SET', 'gc:first', '1']);
      // the first batch's WAIT is now blocked on the master, waiting for the paused replica
      await waitUntil(async () => /\bcmd=wait\b/.test(String(await redisCommand(masterPort, ['CLIENT', 'LIST', 'TYPE', 'normal']))), {
        timeoutMs: 10_000,
        intervalMs: 10,
        message: 'the first WAIT to be blocked on the master (CLIENT LIST shows cmd=wait)',
      });
      second = writer.write(['SET', 'gc:second', '1']);
      await waitUntil(async () => (String(await redisCommand(masterPort, ['CLIENT', 'LIST', 'TYPE', 'normal'])).match(/\bcmd=wait\b/g) ?? []).length === 2, {
        timeoutMs: 10_000,
        intervalMs: 10,
        message: 'a second WAIT, for the second write, blocked beside the first',
      });
    } finally {
      topology.resume(hung);
    }
    await expect(first).resolves.toMatchObject({ acknowledgedBy: 2, required: 2 });
    await expect(second).resolves.toMatchObject({ acknowledgedBy: 2, required: 2 });
    // one WAIT per write, plus at most one early WAIT each (for as many replicas as its connection's last batch needed)
    const waits = (await calls(masterPort, 'wait')) - waitsBefore;
    expect(waits).toBeGreaterThanOrEqual(2);
    expect(waits).toBeLessThanOrEqual(4);
    expect(client.durableConnections.length).toBeGreaterThanOrEqual(2);
    for (const replica of replicas) expect(await redisCommand(replica.port, ['MGET', 'gc:first', 'gc:second'])).toEqual(['1', '1']);
  });
});
