import { getFreePort } from './free-port';
import { PartitionNetwork } from './partition-network';
import { InvalidRuntimeOptionsError, assertInteger, show } from './local-runtime.error';

/** Puts every node of a Sentinel topology behind a relay of `network` (option `relays` of startSentinelTopology). */
export interface TopologyRelays {
  readonly network: PartitionNetwork;
  /** Second byte of the nodes' own loopback addresses, 1-254 (default 66: 127.66.0.x). */
  readonly sourceNet?: number;
}

/** What a relayed node is started with. */
export interface RelayedNodeSetup {
  /** Its port: the relay listens on 127.0.0.1:port, the node on <own address>:port. */
  readonly port: number;
  /** Extra `redis-server` args (data nodes). */
  readonly args: string[];
  /** Extra config lines (sentinels). */
  readonly config: string[];
}

/** Validates the `relays` option. */
export function checkRelays(value: unknown): TopologyRelays | undefined {
  if (value === undefined) return undefined;
  const relays = value as TopologyRelays;
  if (typeof value !== 'object' || value === null || !(relays.network instanceof PartitionNetwork)) {
    throw new InvalidRuntimeOptionsError(`topology.relays must be { network: PartitionNetwork, sourceNet? }; got ${show(value)}`);
  }
  assertInteger('topology.relays.sourceNet', relays.sourceNet ?? 66, 1, 254);
  return relays;
}

/**
 * Registers node `name` (number `n`, 1-based, unique in the topology) in the network: a free port
 * P, the relay on 127.0.0.1:P to 127.<net>.0.<n>:P, and the settings that make the node listen on
 * its own address and connect FROM it (`bind`, `bind-source-addr`), so every address anyone
 * sees (127.0.0.1:P) stays as without relays.
 */
export async function relayNode(relays: TopologyRelays, name: string, n: number): Promise<RelayedNodeSetup> {
  const address = `127.${relays.sourceNet ?? 66}.0.${n}`;
  for (let attempt = 0; ; attempt++) {
    const port = await getFreePort();
    try {
      await relays.network.addNode(name, { source: address, target: port, targetHost: address, publicPort: port });
      return { port, args: ['--bind', address, '--bind-source-addr', address], config: [`bind ${address}`, `bind-source-addr ${address}`] };
    } catch (error) {
      if (attempt >= 4 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
}
