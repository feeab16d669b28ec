import { PartitionNetwork } from './partition-network';
import { parseInfo, redisCommand } from './redis-command';
import { startSentinelTopology, type SentinelTopology } from './sentinel-topology';
import { waitUntil } from './wait-until';

jest.setTimeout(90_000);

describe('startSentinelTopology with relays (every link cuttable, ports unchanged)', () => {
  const network = new PartitionNetwork();
  let topology: SentinelTopology;

  beforeAll(async () => {
    topology = await startSentinelTopology({ relays: { network, sourceNet: 67 } });
  });
  afterAll(async () => {
    await topology?.stop();
    await network.shutdown();
  });

  it('names the nodes, keeps their ports, and a master cut from everyone is failed over; healed, it rejoins as a replica', async () => {
    expect(network.names).toEqual(['redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3']);
    expect(topology.servers.map((s) => network.publicPort(`redis-${topology.servers.indexOf(s) + 1}`))).toEqual(topology.servers.map((s) => s.port));
    const before = await topology.currentMaster();
    const name = network.nameAt(before.port) ?? '?';
    expect(name).toBe('redis-1');
    network.partition([[name], network.names.filter((n) => n !== name)]);
    // the master itself still answers the clients (not cut) but has lost its replicas at once
    const info = parseInfo(String(await redisCommand(before.port, ['INFO', 'replication'], { timeoutMs: 1000 })));
    expect(info['role']).toBe('master');
    await waitUntil(async () => parseInfo(String(await redisCommand(before.port, ['INFO', 'replication'], { timeoutMs: 1000 })))['connected_slaves'] === '0', {
      timeoutMs: 5000,
      message: 'the cut master to lose its replicas',
    });
    const after = await topology.waitForFailover(before, 30_000);
    expect(after.port).not.toBe(before.port);
    network.heal();
    await topology.waitForReplica(before, 30_000);
  });
});
