import { SentinelTopology, monitorRedis, redisCommand, startSentinelTopology, waitUntil } from '@failsoft/testing';
import { createSentinelClient } from '../client/create-client';
import { StateRedis } from '../client/state-redis';
import { EARLY_WAIT_MS } from './durable-batch';
import { DurableWriter } from './durable-writer';

jest.setTimeout(60_000);

/** The replicas the master lists in ROLE (connected, whatever their state). */
async function listedReplicas(port: number): Promise<number> {
  const role = (await redisCommand(port, ['ROLE'])) as [string, number, unknown[]];
  return role[2].length;
}

/**
 * The early WAIT of a group commit (durable-batch.ts): a batch sends `WAIT n EARLY_WAIT_MS` with its
 * writes, n being what the previous batch on the connection required, and counts its reply only
 * against what its own ROLE requires. Rule 'online' here, so only WAIT decides (no sentinel check).
 * Writes run one at a time: the pool hands back the connection released last, so each batch finds
 * the previous one's count on its connection.
 */
describe('early WAIT of a batch (real master + 2 replicas + 3 sentinels)', () => {
  let topology: SentinelTopology;
  let client: StateRedis;
  let masterPort: number;

  beforeAll(async () => {
    topology = await startSentinelTopology();
    client = createSentinelClient({ sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })), masterName: topology.masterName, errorLogIntervalMs: 60_000 });
    masterPort = (await topology.currentMaster()).port;
    await waitUntil(() => new DurableWriter(client, { replicaSet: 'online' }).write(['SET', 'ew:warm', '1']).then(() => true, () => false), {
      timeoutMs: 20_000,
      message: 'a first durable write acknowledged',
    });
  });
  afterAll(async () => {
    await client?.close();
    await topology?.stop();
  });

  it('a batch after the first on its connection sends WAIT for the replicas the last one needed, right behind its writes', async () => {
    const writer = new DurableWriter(client, { replicaSet: 'online', timeoutMs: 2000 });
    await writer.write(['SET', 'ew:first', '1']);
    const monitor = await monitorRedis(masterPort);
    try {
      await expect(writer.write(['SET', 'ew:second', '2'])).resolves.toMatchObject({ acknowledgedBy: 2, required: 2 });
      await waitUntil(() => monitor.lines.some((line) => line.includes('"wait"')), { timeoutMs: 5000, message: 'the WAIT in the MONITOR output' });
    } finally {
      monitor.stop();
    }
    const ours = monitor.lines.filter((line) => /"set" "ew:second"|"role"|"wait"/i.test(line)).map((line) => line.replace(/^.*?\] /, '').toLowerCase());
    expect(ours).toEqual(['"set" "ew:second" "2"', '"role"', `"wait" "2" "${EARLY_WAIT_MS}"`]);
  });

  it('when a replica has left, the early WAIT for two falls short and the one left suffices (its ROLE decides, not the early count)', async () => {
    const writer = new DurableWriter(client, { replicaSet: 'online', timeoutMs: 2000 });
    await writer.write(['SET', 'ew:before-kill', '1']);
    const gone = topology.servers.find((s) => s.port !== masterPort && s.running);
    if (gone === undefined) throw new Error('no replica to kill');
    gone.kill('SIGKILL');
    await gone.exited;
    await waitUntil(async () => (await listedReplicas(masterPort)) === 1, { timeoutMs: 10_000, message: 'the master to list one replica' });
    await expect(writer.write(['SET', 'ew:after-kill', '1'])).resolves.toMatchObject({ acknowledgedBy: 1, required: 1 });
  });

  it('when a replica has joined, the early WAIT for one is not enough: a second WAIT waits for both, for the rest of the timeout', async () => {
    const writer = new DurableWriter(client, { replicaSet: 'online', timeoutMs: 4000 });
    // the connection's last batch required one replica (the previous test)
    await expect(writer.write(['SET', 'ew:one-left', '1'])).resolves.toMatchObject({ required: 1 });
    const stopped = topology.servers.find((s) => s.port !== masterPort && !s.running);
    if (stopped === undefined) throw new Error('no stopped replica to restart');
    const back = await topology.restart(stopped);
    await topology.waitForReplica(back);
    await waitUntil(async () => (await listedReplicas(masterPort)) === 2, { timeoutMs: 10_000, message: 'the master to list both replicas' });
    const monitor = await monitorRedis(masterPort);
    back.kill('SIGSTOP');
    let write: Promise<unknown>;
    try {
      write = writer.write(['SET', 'ew:joined', '1']);
      // the early WAIT (for one) answered; the second one, for both, waits for the paused newcomer
      await waitUntil(() => monitor.lines.some((line) => /"wait" "2" "\d+"/i.test(line)), { timeoutMs: 3500, intervalMs: 10, message: 'a WAIT for both replicas on the master' });
    } finally {
      topology.resume(back);
      monitor.stop();
    }
    await expect(write).resolves.toMatchObject({ acknowledgedBy: 2, required: 2 });
    const waits = monitor.lines.filter((line) => /"wait"/i.test(line)).map((line) => line.replace(/^.*?\] /, '').toLowerCase());
    expect(waits[0]).toBe(`"wait" "1" "${EARLY_WAIT_MS}"`);
    expect(waits[1]).toMatch(/^"wait" "2" "\d+"$/);
  });
});
