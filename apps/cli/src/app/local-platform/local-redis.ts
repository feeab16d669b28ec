import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRedisServer, isProcessAlive, parseInfo, redisCommand, waitUntil, PartitionNetwork, type Address, type SentinelTopology, type Supervisor } from '@failsoft/local-runtime';
import { startRedis, watchRedis, type RedisWatch } from '../redis';
import type { RunState } from '../run-state';
import { REDIS } from '../topology';
import { seconds } from './format';
import type { PlatformRedis, PlatformRedisNode } from './platform.types';
import type { RedisPasswords } from '../secrets';
import { redisClientAuth, topologyAuth, writeAclFile, type RedisClientAuth } from './redis-auth';

/** Environment variable that puts a relay in front of every Redis node and sentinel of `npm start` (`on`). */
export const RELAYS_ENV = 'FAILSOFT_RELAYS';

/** What {@link LocalRedis} needs from the platform around it. */
export interface LocalRedisDeps {
  /** Supervises the sentinels restarted from their config (`sentinel-N`). */
  readonly supervisor: Supervisor;
  /** Folder of the platform's logs (sentinel logs; Redis logs are copied to `redis/` on stop). */
  readonly logs: string;
  readonly say: (line: string) => void;
  readonly warn: (line: string) => void;
  /** Called after any change (a node exited or came back, the master moved): the run-state is saved. */
  readonly onChange: () => void;
  /** True once the platform is stopping: nothing is restarted then. */
  readonly isStopping: () => boolean;
  /** Workspace root (its deploy/redis/users.acl is the ACL template). */
  readonly workspace: string;
}

/** Id of the supervised process of a restarted sentinel (`sentinel-1` for index 0). */
export function sentinelId(index: number): string {
  return `sentinel-${index + 1}`;
}

/**
 * Redis behind Sentinel of the local platform (1 master, 2 replicas, 3 sentinels): started in a
 * folder of the platform, kept whole (a dead data node comes back as a replica, a dead sentinel
 * from its own config under the supervisor), and the chaos surface {@link PlatformRedis}.
 */
export class LocalRedis implements PlatformRedis {
  private topo: SentinelTopology | undefined;
  private starting: Promise<SentinelTopology> | undefined;
  private watch: RedisWatch | undefined;
  private lastMaster: Address | null = null;
  private readonly heldSentinels = new Set<number>();
  /** Ports of the data nodes held down (`failsoft redis hold`): not restarted until revived. */
  private readonly heldNodes = new Set<number>();
  /**
   * The relays in front of every node and sentinel (`failsoft partition`), with FAILSOFT_RELAYS=on
   * (`failsoft scenario partitions` sets it for its own platform); undefined otherwise. Off by
   * default: a relay keeps accepting connections for a node that is down, and the clients then
   * meet a closed connection instead of a refused one (the sentinel-kill rows of the fail-soft
   * contract failed with relays: likes writes timed out while one sentinel was down).
   */
  readonly network: PartitionNetwork | undefined = process.env[RELAYS_ENV] === 'on' ? new PartitionNetwork() : undefined;

  /** How this process authenticates to the data nodes and sentinels (no password before start). */
  auth: RedisClientAuth = redisClientAuth(undefined);

  constructor(private readonly deps: LocalRedisDeps) {}

  /**
   * Starts the topology under `dir` and watches it; resolves once every node and sentinel is up.
   * With `passwords`, the ACL users of deploy/redis/users.acl (rendered into `dir/users.acl`,
   * mode 0600) guard every data node, and the sentinels require a password.
   */
  async start(dir: string, passwords?: RedisPasswords): Promise<void> {
    this.deps.say(`[redis] starting 1 master, 2 replicas, 3 sentinels${passwords ? ' (ACL users of deploy/redis/users.acl, sentinels with a password)' : ' WITHOUT passwords'}...`);
    const t = Date.now();
    const auth = passwords ? topologyAuth(writeAclFile(this.deps.workspace, join(dir, 'users.acl'), passwords), passwords) : undefined;
    this.auth = redisClientAuth(passwords);
    this.starting = startRedis(dir, this.network, auth);
    const topo = await this.starting;
    this.topo = topo;
    const [master, ...replicas] = topo.servers; // the first data node is the master at start
    this.deps.say(
      `[redis] ready in ${seconds(Date.now() - t)}: master :${master.port}, replicas ${replicas.map((s) => `:${s.port}`).join(' ')}, ` +
        `sentinels ${topo.sentinels.map((s) => `:${s.port}`).join(' ')} (quorum ${REDIS.quorum}, down-after ${REDIS.downAfterMs} ms)`,
    );
    if (this.deps.isStopping()) return;
    this.lastMaster = await topo.currentMaster();
    this.watch = watchRedis(topo, {
      log: this.deps.warn,
      onChange: () => void this.refreshMaster(),
      stopping: this.deps.isStopping,
      isHeld: (port) => this.heldNodes.has(port),
      onSentinelExit: (index) => this.restartSentinel(index),
    });
  }

  /** Stops the restarted sentinels, then every node (their logs are kept in `<logs>/redis/`). Tolerates a start in progress. */
  async stop(): Promise<void> {
    this.watch?.stop();
    const sentinelIds = this.topo ? this.topo.sentinels.map((_, i) => sentinelId(i)).filter((id) => this.deps.supervisor.status(id)) : [];
    await this.deps.supervisor.stopAll({ ids: sentinelIds, timeoutMs: 3000 });
    const topo = this.topo ?? (await this.starting?.catch(() => undefined));
    if (!topo) return void (await this.network?.shutdown());
    this.deps.say('[stop] stopping Redis and the sentinels');
    keepRedisLogs(topo.dir, join(this.deps.logs, 'redis'));
    await topo.stop();
    await this.network?.shutdown();
  }

  /** Redis as the run-state file shows it; undefined before it started. */
  runState(workspaceRelative: (path: string) => string): RunState['redis'] | undefined {
    const topo = this.topo;
    if (!topo) return undefined;
    const servers = topo.servers.map((s) => ({ host: s.host, port: s.port, pid: s.pid, running: s.running }));
    return {
      masterName: topo.masterName,
      master: this.lastMaster,
      servers,
      replicas: servers.filter((s) => s.port !== this.lastMaster?.port).map(({ host, port }) => ({ host, port })),
      sentinels: this.sentinels().map((s) => ({ host: s.host, port: s.port, pid: s.pid ?? 0, running: s.running })),
      dir: workspaceRelative(topo.dir),
    };
  }

  /** Asks the sentinels for the master again (kept when they are mid-failover), then reports a change. */
  async refreshMaster(): Promise<void> {
    if (!this.topo) return;
    try {
      this.lastMaster = await this.topo.currentMaster();
    } catch {
      // mid-failover: keep the last one
    }
    this.deps.onChange();
  }

  get topology(): SentinelTopology {
    if (!this.topo) throw new Error('Redis is not started');
    return this.topo;
  }

  get masterName(): string {
    return this.topology.masterName;
  }

  get sentinelAddresses(): string {
    return this.topology.sentinels.map((s) => `${s.host}:${s.port}`).join(',');
  }

  currentMaster(): Promise<Address> {
    return this.topology.currentMaster();
  }

  servers(): PlatformRedisNode[] {
    return this.topology.servers.map((s) => ({ host: s.host, port: s.port, pid: s.pid, running: s.running }));
  }

  sentinels(): PlatformRedisNode[] {
    const topo = this.topo;
    if (!topo) return [];
    return topo.sentinels.map((s, index) => {
      const supervised = this.deps.supervisor.status(sentinelId(index));
      const pid = supervised ? (supervised.state === 'running' ? supervised.pid : undefined) : s.pid;
      return { host: s.host, port: s.port, pid, running: pid !== undefined && isProcessAlive(pid) };
    });
  }

  async killMaster(signal: NodeJS.Signals = 'SIGKILL'): Promise<PlatformRedisNode> {
    const killed = await this.topology.killMaster(signal);
    void this.refreshMaster();
    return { host: killed.host, port: killed.port, pid: killed.pid, running: killed.running };
  }

  async killNode(port: number, hold: boolean): Promise<PlatformRedisNode> {
    const node = this.topology.serverAt(port);
    if (hold) this.heldNodes.add(port);
    if (node.running) {
      process.kill(node.pid, 'SIGKILL');
      await node.exited;
    }
    void this.refreshMaster();
    return { host: node.host, port: node.port, pid: node.pid, running: false };
  }

  reviveNode(port: number): boolean {
    this.topology.serverAt(port); // throws for an unknown port
    const wasHeld = this.heldNodes.delete(port);
    const restarting = this.watch?.release(port) ?? false;
    return wasHeld || restarting;
  }

  heldNodePorts(): number[] {
    return [...this.heldNodes];
  }

  resume(server: Address): void {
    this.topology.resume(this.topology.serverAt(server.port));
  }

  waitForFailover(oldMaster: Address, timeoutMs = 30_000): Promise<Address> {
    return this.topology.waitForFailover(oldMaster, timeoutMs);
  }

  killSentinel(index: number, signal: NodeJS.Signals = 'SIGKILL'): number | undefined {
    const node = this.sentinelAt(index);
    if (node.pid === undefined || !node.running) return undefined;
    process.kill(node.pid, signal);
    return node.pid;
  }

  async stopSentinel(index: number): Promise<void> {
    const node = this.sentinelAt(index);
    this.heldSentinels.add(index);
    const id = sentinelId(index);
    if (this.deps.supervisor.status(id)) {
      await this.deps.supervisor.stop(id, { timeoutMs: 3000 });
    } else if (node.pid !== undefined && node.running) {
      const pid = node.pid;
      process.kill(pid, 'SIGTERM');
      await waitUntil(() => !isProcessAlive(pid), { timeoutMs: 5000, intervalMs: 20, message: `sentinel ${index + 1} (pid ${pid}) to exit` }).catch(() => process.kill(pid, 'SIGKILL'));
    }
    this.deps.onChange();
  }

  startSentinel(index: number): void {
    this.heldSentinels.delete(index);
    if (this.sentinels()[index]?.running) return;
    this.restartSentinel(index);
  }

  async waitForHealthy(timeoutMs = 30_000): Promise<void> {
    await waitUntil(() => this.whole(), { timeoutMs, intervalMs: 100, message: 'Redis to be whole (every node and sentinel up, replicas online)' });
    await this.refreshMaster();
  }

  /** True when Redis is whole; throws saying what is not. */
  private async whole(): Promise<true> {
    const servers = this.topology.servers;
    const dead = servers.filter((s) => !s.running);
    if (dead.length) throw new Error(`data nodes not running: ${dead.map((s) => `:${s.port}`).join(', ')}`);
    const down = this.sentinels().filter((s) => !s.running);
    if (down.length) throw new Error(`sentinels not running: ${down.map((s) => `:${s.port}`).join(', ')}`);
    const answers = await this.sentinelAnswers();
    if (answers.some((a) => a !== answers[0])) throw new Error(`the sentinels disagree on the master: ${answers.join(', ')}`);
    const masterPort = Number(answers[0].split(':').pop());
    const info = parseInfo(String(await redisCommand(masterPort, ['INFO', 'replication'], { timeoutMs: 1000, ...this.auth.data })));
    if (info['role'] !== 'master') throw new Error(`:${masterPort} is named the master but says role ${info['role']}`);
    const online = Object.keys(info).filter((k) => /^slave\d+$/.test(k) && info[k].includes('state=online')).length;
    if (online !== servers.length - 1) throw new Error(`the master :${masterPort} has ${online} of ${servers.length - 1} replicas online`);
    return true;
  }

  /** What the running sentinels say the master is. */
  private sentinelAnswers(): Promise<string[]> {
    return Promise.all(
      this.sentinels()
        .filter((s) => s.running)
        .map(async (s) => {
          const reply = await redisCommand(s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName], { timeoutMs: 1000, ...this.auth.sentinel });
          return Array.isArray(reply) ? `${String(reply[0])}:${String(reply[1])}` : '?';
        }),
    );
  }

  private sentinelAt(index: number): PlatformRedisNode {
    const node = this.sentinels()[index];
    if (!node) throw new RangeError(`no sentinel ${index}; there are ${this.topology.sentinels.length} (0-based)`);
    return node;
  }

  /** Brings sentinel `index` back from its own (rewritten) config file, under the supervisor. */
  private restartSentinel(index: number): string | undefined {
    const topo = this.topo;
    if (!topo || this.deps.isStopping()) return undefined;
    if (this.heldSentinels.has(index)) return 'held down (stopSentinel): not restarted';
    const id = sentinelId(index);
    if (this.deps.supervisor.status(id)) {
      this.deps.supervisor.startAgain(id);
      return `restarted under the supervisor as ${id}`;
    }
    const { port } = topo.sentinels[index];
    const dir = join(topo.dir, `sentinel-${index}`);
    const config = join(dir, `sentinel-${port}.conf`);
    if (!existsSync(config)) return `not restarted: its config ${config} is gone`;
    this.deps.supervisor.start({ id, command: findRedisServer(), args: [config, '--sentinel'], cwd: dir, logFile: join(this.deps.logs, `${id}.log`) });
    return `restarting it from its config on :${port} (supervised as ${id})`;
  }
}

/**
 * Copies the Redis nodes' and sentinels' logs out of the topology's working dir (which is removed
 * on stop) into `target` (`logs/redis/node-0.log`, `sentinel-1.log`, ...). Best effort.
 */
function keepRedisLogs(dir: string, target: string): void {
  try {
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    for (const sub of readdirSync(dir)) {
      const folder = join(dir, sub);
      let files: string[];
      try {
        files = readdirSync(folder).filter((f) => f.endsWith('.log'));
      } catch {
        continue; // not a folder
      }
      for (const file of files) writeFileSync(join(target, `${sub}${files.length > 1 ? `-${file}` : '.log'}`), readFileSync(join(folder, file)));
    }
  } catch {
    // logs are a convenience
  }
}
