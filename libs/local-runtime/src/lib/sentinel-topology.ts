import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackDir, untrackDir } from './process-registry';
import { parseInfo, redisCommand } from './redis-command';
import { awaitSentinelAgreement } from './sentinel-agreement';
import { dataNodeArgs, RedisProcessHandle, RedisServerHandle, spawnRedis, startRedisServer, startSentinelProcess } from './redis-server';
import { InvalidRuntimeOptionsError, LocalRuntimeError, assertInteger, show } from './local-runtime.error';
import { dataNodeAuthArgs, validateTopologyAuth, type TopologyAuth } from './topology-auth';
import { waitUntil } from './wait-until';
import { checkRelays, relayNode, type TopologyRelays } from './topology-relays';

/** A host and port. */
export interface Address {
  /** Host (always 127.0.0.1 here). */
  host: string;
  /** TCP port. */
  port: number;
}

/** Options of {@link startSentinelTopology}. */
export interface SentinelTopologyOptions {
  /** Number of replicas, 0-16 (default 2). */
  replicas?: number;
  /** Number of sentinels, 1-9 (default 3). */
  sentinels?: number;
  /** Sentinels that must agree the master is down, 1..sentinels (default 2, or 1 with one sentinel). */
  quorum?: number;
  /** `down-after-milliseconds`, >= 100 (default 1000). */
  downAfterMs?: number;
  /** `failover-timeout`, >= 500 (default 3000, demo-tuned). */
  failoverTimeoutMs?: number;
  /** Name the sentinels monitor the master under (default 'failsoft'). */
  masterName?: string;
  /** Extra `redis-server` args for every data node (e.g. `['--appendonly', 'yes']`). */
  serverArgs?: string[];
  /** How long to wait for the topology to settle (default 30000 ms). */
  startTimeoutMs?: number;
  /** ACL users and passwords (default: none, every node accepts anyone). */
  auth?: TopologyAuth;
  /**
   * Every node behind a relay of this network (named redis-1.., sentinel-1..) so links can be cut
   * (`network.partition`); ports stay as without relays. Not owned: shut the network down after stop().
   */
  relays?: TopologyRelays;
}

/** A running Sentinel topology: master + replicas + sentinels, all on loopback, all owned by this process. */
export interface SentinelTopology {
  /** Name the sentinels know the master by, e.g. 'failsoft'. */
  readonly masterName: string;
  /** The topology's temp dir (removed by stop()). */
  readonly dir: string;
  /** The sentinels as started (a stopped one stays listed). */
  readonly sentinels: ReadonlyArray<{ host: string; port: number; pid: number }>;
  /** Master + replicas (index 0 was the first master; a restarted node replaces its entry). */
  readonly servers: ReadonlyArray<RedisProcessHandle>;
  /** The master address as a quorum of the running sentinels agree on it; throws when they do not. */
  currentMaster(): Promise<Address>;
  /** The data node listening on `port`; throws naming the port when there is none. */
  serverAt(port: number): RedisProcessHandle;
  /** Signals the current master (SIGKILL default; SIGSTOP makes it hang) and returns it. */
  killMaster(signal?: NodeJS.Signals): Promise<RedisProcessHandle>;
  /** SIGCONTs a data node stopped with SIGSTOP. */
  resume(server: RedisServerHandle): void;
  /** Waits until every running sentinel names a master other than `oldMaster` and that node reports role master. */
  waitForFailover(oldMaster: Address, timeoutMs?: number): Promise<Address>;
  /** Waits until `server` is a replica whose link to its master is up (e.g. an old master that rejoined). */
  waitForReplica(server: Address, timeoutMs?: number): Promise<void>;
  /** Starts a killed data node again on its port, as a replica of the current master (a supervisor restart). */
  restart(server: RedisServerHandle): Promise<RedisProcessHandle>;
  /** Stops one sentinel (by index in `sentinels`). */
  stopSentinel(index: number): Promise<void>;
  /** Stops every process of this topology (only its own pids) and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Validated topology options. */
interface TopologySettings {
  replicas: number;
  sentinels: number;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  masterName: string;
  serverArgs: string[];
  startTimeoutMs: number;
  auth: TopologyAuth | undefined;
  relays: TopologyRelays | undefined;
}

function validate(options: unknown): TopologySettings {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidRuntimeOptionsError(`topology.options must be an object; got ${show(options)}`);
  }
  const o = options as SentinelTopologyOptions;
  const replicas = assertInteger('topology.replicas', o.replicas ?? 2, 0, 16);
  const sentinels = assertInteger('topology.sentinels', o.sentinels ?? 3, 1, 9);
  const quorum = assertInteger('topology.quorum', o.quorum ?? Math.min(2, sentinels), 1, sentinels);
  const downAfterMs = assertInteger('topology.downAfterMs', o.downAfterMs ?? 1000, 100);
  const failoverTimeoutMs = assertInteger('topology.failoverTimeoutMs', o.failoverTimeoutMs ?? 3000, 500);
  const startTimeoutMs = assertInteger('topology.startTimeoutMs', o.startTimeoutMs ?? 30_000, 1000);
  const masterName = o.masterName ?? 'failsoft';
  if (typeof masterName !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(masterName)) {
    throw new InvalidRuntimeOptionsError(`topology.masterName must be 1-64 characters of [A-Za-z0-9_.-]; got ${show(masterName)}`);
  }
  const serverArgs = o.serverArgs ?? [];
  if (!Array.isArray(serverArgs) || serverArgs.some((a) => typeof a !== 'string')) {
    throw new InvalidRuntimeOptionsError(`topology.serverArgs must be an array of strings; got ${show(serverArgs)}`);
  }
  const auth = validateTopologyAuth(o.auth);
  // the auth arguments go with the others: restarted nodes get them too
  return { replicas, sentinels, quorum, downAfterMs, failoverTimeoutMs, masterName, serverArgs: [...serverArgs, ...dataNodeAuthArgs(auth)], startTimeoutMs, auth, relays: checkRelays(o.relays) };
}

/** redisCommand options for a data node (as `default`) and for a sentinel of a topology with `auth`. */
function authOf(auth: TopologyAuth | undefined): { data: { password?: string }; sentinel: { password?: string } } {
  return auth ? { data: { password: auth.adminPassword }, sentinel: { password: auth.sentinelPassword } } : { data: {}, sentinel: {} };
}

class Topology implements SentinelTopology {
  private stopping: Promise<void> | undefined;
  private readonly stoppedSentinels = new Set<number>();

  constructor(
    private readonly settings: TopologySettings,
    readonly dir: string,
    private readonly nodes: RedisProcessHandle[],
    private readonly sentinelNodes: RedisProcessHandle[],
    /** Per data node port: its relay args (bind to its own address). */
    private readonly nodeArgs: ReadonlyMap<number, string[]>,
  ) {}

  get masterName(): string {
    return this.settings.masterName;
  }

  get servers(): ReadonlyArray<RedisProcessHandle> {
    return [...this.nodes];
  }

  get sentinels(): ReadonlyArray<{ host: string; port: number; pid: number }> {
    return this.sentinelNodes.map(({ host, port, pid }) => ({ host, port, pid }));
  }

  private liveSentinels(): RedisProcessHandle[] {
    return this.sentinelNodes.filter((s, i) => s.running && !this.stoppedSentinels.has(i));
  }

  /** What each running sentinel says the master is ("host:port", or undefined when it does not answer). */
  private async masterAnswers(): Promise<Array<string | undefined>> {
    return Promise.all(
      this.liveSentinels().map(async (s) => {
        try {
          const reply = await redisCommand(s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName], { timeoutMs: 1000, ...authOf(this.settings.auth).sentinel });
          return Array.isArray(reply) ? `${String(reply[0])}:${String(reply[1])}` : undefined;
        } catch {
          return undefined;
        }
      }),
    );
  }

  async currentMaster(): Promise<Address> {
    const answers = await this.masterAnswers();
    const votes = new Map<string, number>();
    for (const answer of answers) if (answer) votes.set(answer, (votes.get(answer) ?? 0) + 1);
    const [best, count] = [...votes].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
    if (count === 0 || count < Math.min(this.settings.quorum, answers.length)) {
      throw new LocalRuntimeError('PROCESS_FAILED', `the sentinels do not agree on the master of ${show(this.masterName)}: ${show(answers)}`);
    }
    const colon = best.lastIndexOf(':');
    return { host: best.slice(0, colon), port: Number(best.slice(colon + 1)) };
  }

  serverAt(port: number): RedisProcessHandle {
    const server = this.nodes.find((s) => s.port === port);
    if (!server) {
      throw new InvalidRuntimeOptionsError(`no data node of this topology listens on port ${show(port)}; its ports are ${this.nodes.map((s) => s.port).join(', ')}`);
    }
    return server;
  }

  async killMaster(signal: NodeJS.Signals = 'SIGKILL'): Promise<RedisProcessHandle> {
    const master = this.serverAt((await this.currentMaster()).port);
    master.kill(signal);
    if (signal === 'SIGKILL') await master.exited;
    return master;
  }

  resume(server: RedisServerHandle): void {
    this.serverAt(server.port).kill('SIGCONT');
  }

  private async replicationInfo(server: Address): Promise<Record<string, string>> {
    return parseInfo(String(await redisCommand(server.port, ['INFO', 'replication'], { host: server.host, timeoutMs: 1000, ...authOf(this.settings.auth).data })));
  }

  async waitForFailover(oldMaster: Address, timeoutMs = 30_000): Promise<Address> {
    return waitUntil(
      async () => {
        const answers = await this.masterAnswers();
        if (answers.length === 0 || answers.some((a) => a === undefined || a !== answers[0])) return undefined;
        const master = await this.currentMaster();
        if (master.port === oldMaster.port && master.host === oldMaster.host) return undefined;
        return (await this.replicationInfo(master))['role'] === 'master' ? master : undefined;
      },
      { timeoutMs, intervalMs: 100, message: `a failover away from ${oldMaster.host}:${oldMaster.port}` },
    );
  }

  async waitForReplica(server: Address, timeoutMs = 30_000): Promise<void> {
    await waitUntil(
      async () => {
        const info = await this.replicationInfo(server);
        return info['role'] === 'slave' && info['master_link_status'] === 'up';
      },
      { timeoutMs, intervalMs: 100, message: `${server.host}:${server.port} to become a connected replica` },
    );
  }

  async restart(server: RedisServerHandle): Promise<RedisProcessHandle> {
    const index = this.nodes.indexOf(this.serverAt(server.port));
    const old = this.nodes[index];
    if (old.running) throw new InvalidRuntimeOptionsError(`restart: the data node on port ${old.port} is still running (pid ${old.pid}); kill it first`);
    const master = await this.currentMaster();
    const restarted = await spawnRedis({
      dir: old.dir,
      ownsDir: false,
      port: old.port,
      label: `redis-server (restarted replica of :${master.port})`,
      startTimeoutMs: this.settings.startTimeoutMs,
      argv: (port, logFile) => [...dataNodeArgs(port, old.dir, logFile, master), ...this.settings.serverArgs, ...(this.nodeArgs.get(old.port) ?? [])],
    });
    this.nodes[index] = restarted;
    return restarted;
  }

  async stopSentinel(index: number): Promise<void> {
    assertInteger('stopSentinel.index', index, 0, this.sentinelNodes.length - 1);
    this.stoppedSentinels.add(index);
    await this.sentinelNodes[index].stop();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      // sentinels first, so none reconfigures the data nodes while they go away
      await Promise.all(this.sentinelNodes.map((s) => s.stop()));
      await Promise.all(this.nodes.map((s) => s.stop()));
      rmSync(this.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
      untrackDir(this.dir);
    })();
    return this.stopping;
  }
}

/**
 * Starts a real Redis Sentinel topology from the `redis-server` binary on free loopback ports, in a
 * temp dir under os.tmpdir(): 1 master, `replicas` replicas (default 2) and `sentinels` sentinels
 * (default 3, quorum 2), demo-tuned (down-after 1000 ms, failover-timeout 3000 ms), no persistence.
 * Resolves once the replicas are in sync and every sentinel sees the master, all replicas and all
 * other sentinels (hellos sped up while they settle: see {@link awaitSentinelAgreement}). If anything fails, everything started so far is stopped before the error is thrown.
 * Never touches the machine's own Redis (6379/26379).
 */
export async function startSentinelTopology(options: SentinelTopologyOptions = {}): Promise<SentinelTopology> {
  const settings = validate(options);
  const dir = mkdtempSync(join(tmpdir(), 'failsoft-sentinel-'));
  trackDir(dir);
  const nodes: RedisProcessHandle[] = [];
  const sentinels: RedisProcessHandle[] = [];
  try {
    const relay = async (name: string, n: number): Promise<{ port?: number; args: string[]; config: string[] }> =>
      settings.relays ? relayNode(settings.relays, name, n) : { args: [], config: [] };
    const nodeArgs = new Map<number, string[]>();
    const startNode = async (i: number, replicaOf?: Address): Promise<RedisProcessHandle> => {
      const r = await relay(`redis-${i + 1}`, i + 1);
      const node = await startRedisServer({ dir: join(dir, `node-${i}`), port: r.port, replicaOf, args: [...settings.serverArgs, ...r.args], startTimeoutMs: settings.startTimeoutMs });
      nodeArgs.set(node.port, r.args);
      return node;
    };
    const master = await startNode(0);
    nodes.push(master);
    nodes.push(...(await Promise.all(Array.from({ length: settings.replicas }, (_, i) => startNode(i + 1, master)))));
    await waitUntil(
      async () => {
        const info = parseInfo(String(await redisCommand(master.port, ['INFO', 'replication'], { timeoutMs: 1000, ...authOf(settings.auth).data })));
        return Object.keys(info).filter((k) => /^slave\d+$/.test(k) && info[k].includes('state=online')).length === settings.replicas;
      },
      { timeoutMs: settings.startTimeoutMs, message: `the ${settings.replicas} replicas to get in sync with the master` },
    );
    sentinels.push(
      ...(await Promise.all(
        Array.from({ length: settings.sentinels }, async (_, i) => {
          const r = await relay(`sentinel-${i + 1}`, 101 + i);
          return startSentinelProcess({ ...settings, dir: join(dir, `sentinel-${i}`), master, port: r.port, extraConfig: r.config, startTimeoutMs: settings.startTimeoutMs });
        }),
      )),
    );
    await awaitSentinelAgreement({
      ports: sentinels.map((s) => s.port),
      masterName: settings.masterName,
      masterPort: master.port,
      replicas: settings.replicas,
      password: authOf(settings.auth).sentinel.password,
      timeoutMs: settings.startTimeoutMs,
    });
    return new Topology(settings, dir, nodes, sentinels, nodeArgs);
  } catch (error) {
    const logs = [...nodes, ...sentinels].map((p) => `--- :${p.port}\n${p.logTail(6)}`).join('\n');
    await Promise.all([...sentinels, ...nodes].map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    untrackDir(dir);
    if (error instanceof LocalRuntimeError && error.code === 'PROCESS_FAILED') throw error;
    throw new LocalRuntimeError('PROCESS_FAILED', `startSentinelTopology failed: ${(error as Error).message}\n${logs}`, { cause: error });
  }
}
