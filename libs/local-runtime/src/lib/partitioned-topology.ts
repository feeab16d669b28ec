import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRuntimeError, assertInteger } from './local-runtime.error';
import { PartitionNetwork, type CutMode } from './partition-network';
import { trackDir, untrackDir } from './process-registry';
import { parseInfo, redisCommand } from './redis-command';
import { startRedisServer, startSentinelProcess, type RedisProcessHandle } from './redis-server';
import { waitUntil } from './wait-until';
import { awaitSentinelAgreement } from './sentinel-agreement';

/** Options of {@link startPartitionedTopology}. */
export interface PartitionedTopologyOptions {
  /** Replicas (default 2) and sentinels (default 3, quorum 2). */
  replicas?: number;
  sentinels?: number;
  /** `down-after-milliseconds` (default 1000) and `failover-timeout` (default 3000). */
  downAfterMs?: number;
  failoverTimeoutMs?: number;
  /** How a cut link treats new connections (default `refuse`). */
  mode?: CutMode;
  /** Second byte of the nodes' loopback source addresses, 1-254 (default 77: 127.77.0.x). */
  sourceNet?: number;
}

/** A node of a partitioned topology: its name in partitions, its public (relay) port, its process. */
export interface PartitionedNode {
  readonly name: string;
  /** The relay's port: the address everyone (sentinels, replicas, clients) uses. */
  readonly port: number;
  readonly process: RedisProcessHandle;
}

/** A Sentinel topology whose every node sits behind a relay of a {@link PartitionNetwork}. */
export interface PartitionedTopology {
  readonly masterName: string;
  readonly network: PartitionNetwork;
  /** `redis-1` (the first master), `redis-2`...; `sentinel-1`... */
  readonly servers: readonly PartitionedNode[];
  readonly sentinels: readonly PartitionedNode[];
  /** Cuts the links between the groups (see {@link PartitionNetwork.partition}). */
  partition(groups: readonly (readonly string[])[]): void;
  /** Heals every link. */
  heal(): void;
  /** The master a majority of the sentinels name (asked on their real ports, past the relays). */
  currentMaster(): Promise<PartitionedNode>;
  /** Waits until the sentinels agree on one master and every other data node replicates it with its link up. */
  waitForConverged(timeoutMs?: number): Promise<PartitionedNode>;
  /** Stops every process and relay; removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const MASTER_NAME = 'failsoft';

/**
 * Starts 1 master, `replicas` replicas and `sentinels` sentinels, each behind a relay of one
 * {@link PartitionNetwork} and each opening its connections from a loopback address of its own
 * (`bind-source-addr 127.<sourceNet>.0.<n>`), so links between any two of them (or between them
 * and {@link CLIENTS}) can be cut and healed. Nodes announce their relay ports (replica-announce-port,
 * sentinel announce-port): replication, sentinel monitoring, sentinel gossip and clients all pass
 * through the relays. Resolves once the replicas are in sync and the sentinels see each other.
 */
export async function startPartitionedTopology(options: PartitionedTopologyOptions = {}): Promise<PartitionedTopology> {
  const replicas = assertInteger('partitioned.replicas', options.replicas ?? 2, 1, 8);
  const sentinelCount = assertInteger('partitioned.sentinels', options.sentinels ?? 3, 1, 9);
  const downAfterMs = assertInteger('partitioned.downAfterMs', options.downAfterMs ?? 1000, 100);
  const failoverTimeoutMs = assertInteger('partitioned.failoverTimeoutMs', options.failoverTimeoutMs ?? 3000, 500);
  const net = assertInteger('partitioned.sourceNet', options.sourceNet ?? 77, 1, 254);
  const network = new PartitionNetwork({ mode: options.mode });
  const dir = mkdtempSync(join(tmpdir(), 'failsoft-partitioned-'));
  trackDir(dir);
  const servers: PartitionedNode[] = [];
  const sentinels: PartitionedNode[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(sentinels.map((s) => s.process.stop()));
    await Promise.all(servers.map((s) => s.process.stop()));
    await network.shutdown();
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    untrackDir(dir);
  };
  try {
    let n = 0;
    const source = (): string => `127.${net}.0.${++n}`;
    for (let i = 0; i <= replicas; i++) {
      const name = `redis-${i + 1}`;
      const src = source();
      const port = await network.addNode(name, { source: src });
      const master = servers[0];
      const process = await startRedisServer({
        dir: join(dir, name),
        replicaOf: master ? { host: '127.0.0.1', port: master.port } : undefined,
        args: ['--bind-source-addr', src, '--replica-announce-port', String(port), '--repl-timeout', '5'],
      });
      network.setTarget(name, process.port);
      servers.push({ name, port, process });
    }
    const master = servers[0];
    await waitUntil(async () => (await countOnline(master.process.port)) === replicas, { timeoutMs: 30_000, message: `the ${replicas} replicas to sync through their relays` });
    for (let i = 0; i < sentinelCount; i++) {
      const name = `sentinel-${i + 1}`;
      const src = source();
      const port = await network.addNode(name, { source: src });
      const process = await startSentinelProcess({
        dir: join(dir, name),
        masterName: MASTER_NAME,
        master: { host: '127.0.0.1', port: master.port },
        quorum: Math.min(2, sentinelCount),
        downAfterMs,
        failoverTimeoutMs,
        announcePort: port,
        extraConfig: [`bind-source-addr ${src}`],
      });
      network.setTarget(name, process.port);
      sentinels.push({ name, port, process });
    }
    // through the relays: the sentinels see every replica and each other
    await awaitSentinelAgreement({ ports: sentinels.map((s) => s.process.port), masterName: MASTER_NAME, masterPort: master.port, replicas, timeoutMs: 30_000 });
  } catch (error) {
    await stop();
    throw new LocalRuntimeError('PROCESS_FAILED', `startPartitionedTopology failed: ${(error as Error).message}`, { cause: error });
  }
  return new Partitioned(network, servers, sentinels, stop);
}

/** Replicas online on the server listening on `port` (0 when it is not a master). */
async function countOnline(port: number): Promise<number> {
  const info = parseInfo(String(await redisCommand(port, ['INFO', 'replication'], { timeoutMs: 1000 })));
  return Object.keys(info).filter((k) => /^slave\d+$/.test(k) && info[k].includes('state=online')).length;
}

class Partitioned implements PartitionedTopology {
  readonly masterName = MASTER_NAME;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly network: PartitionNetwork,
    readonly servers: readonly PartitionedNode[],
    readonly sentinels: readonly PartitionedNode[],
    private readonly stopAll: () => Promise<void>,
  ) {}

  partition(groups: readonly (readonly string[])[]): void {
    void this.network.partition(groups); // no client processes here: every cut applies at once
  }

  heal(): void {
    this.network.heal();
  }

  async currentMaster(): Promise<PartitionedNode> {
    const answers = await Promise.all(
      this.sentinels.map(async (s) => {
        const reply = await redisCommand(s.process.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME], { timeoutMs: 1000 }).catch(() => undefined);
        return Array.isArray(reply) ? Number(reply[1]) : undefined;
      }),
    );
    const votes = new Map<number, number>();
    for (const port of answers) if (port !== undefined) votes.set(port, (votes.get(port) ?? 0) + 1);
    const [port, count] = [...votes].sort((a, b) => b[1] - a[1])[0] ?? [0, 0];
    const node = this.servers.find((s) => s.port === port);
    if (!node || count <= this.sentinels.length / 2) throw new LocalRuntimeError('PROCESS_FAILED', `no majority of the sentinels names one master: ${answers.join(', ')}`);
    return node;
  }

  async waitForConverged(timeoutMs = 30_000): Promise<PartitionedNode> {
    return waitUntil(
      async () => {
        const master = await this.currentMaster();
        const ports = await Promise.all(this.sentinels.map((s) => redisCommand(s.process.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME], { timeoutMs: 1000 })));
        if (ports.some((reply) => !Array.isArray(reply) || Number(reply[1]) !== master.port)) return undefined;
        return (await countOnline(master.process.port)) === this.servers.length - 1 ? master : undefined;
      },
      { timeoutMs, intervalMs: 200, message: 'the topology to converge (one master named by every sentinel, every other node its replica)' },
    );
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }
}
