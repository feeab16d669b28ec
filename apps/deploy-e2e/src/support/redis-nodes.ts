import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRedisServer, getFreePort, killAndWait, pairsToMap, parseInfo, redisCommand, waitUntil } from '@failsoft/testing';
import { workspace } from './tools';

/** The entrypoint docker-compose.yml and deploy/k8s start every Redis node and sentinel with. */
export const ENTRYPOINT = join(workspace, 'deploy', 'redis', 'entrypoint.sh');
/** The preStop hook of the Redis data nodes in deploy/k8s. */
export const HANDOVER = join(workspace, 'deploy', 'redis', 'handover.sh');
/** Every node listens and announces itself on loopback (nodes differ by port). */
export const HOST = '127.0.0.1';
/** The master name the sentinels monitor. */
export const MASTER_NAME = 'failsoft';

/** One Redis data node or sentinel, run by the entrypoint as a real process. */
export interface EntrypointNode {
  readonly name: string;
  readonly mode: 'redis' | 'sentinel';
  readonly port: number;
  readonly dir: string;
  child?: ChildProcess;
  /** stdout + stderr of the current run (the entrypoint's log lines, then the server's). */
  output: string;
}

/** How a script run ended. */
export interface ScriptRun {
  readonly code: number | null;
  readonly output: string;
}

/**
 * 3 data nodes and 3 sentinels started from deploy/redis/entrypoint.sh with the machine's
 * redis-server on free loopback ports (data[0] is INITIAL_MASTER_HOST), each with its own data
 * directory, so specs can kill, wipe and restart them as a cluster would.
 */
export class EntrypointTopology {
  readonly data: EntrypointNode[] = [];
  readonly sentinels: EntrypointNode[] = [];

  private constructor(
    private readonly root: string,
    private readonly redisServer: string,
    /** REDIS_*_PASSWORD variables given to every node (empty: no authentication). */
    readonly passwords: Readonly<Record<string, string>>,
  ) {}

  /** Picks ports and directories (nothing is started); `passwords` (REDIS_ADMIN_PASSWORD...) turn authentication on. */
  static async create(prefix: string, passwords: Readonly<Record<string, string>> = {}): Promise<EntrypointTopology> {
    const topology = new EntrypointTopology(mkdtempSync(join(tmpdir(), `${prefix}-`)), findRedisServer(), passwords);
    for (let i = 1; i <= 3; i++) topology.data.push({ name: `redis-${i}`, mode: 'redis', port: await getFreePort(), dir: join(topology.root, `redis-${i}`), output: '' });
    for (let i = 1; i <= 3; i++) topology.sentinels.push({ name: `sentinel-${i}`, mode: 'sentinel', port: await getFreePort(), dir: join(topology.root, `sentinel-${i}`), output: '' });
    return topology;
  }

  /** `host:port,...` of the sentinels (SENTINELS, REDIS_SENTINELS). */
  get sentinelList(): string {
    return this.sentinels.map((s) => `${HOST}:${s.port}`).join(',');
  }

  /** `host:port,...` of the data nodes (REDIS_NODES). */
  get nodeList(): string {
    return this.data.map((d) => `${HOST}:${d.port}`).join(',');
  }

  /** The environment deploy/k8s gives a node (REDIS_NODES included unless `extra` removes it). */
  env(node: EntrypointNode, extra: Record<string, string | undefined> = {}): Record<string, string> {
    const env: Record<string, string | undefined> = {
      PATH: process.env['PATH'],
      ANNOUNCE_HOST: HOST,
      INITIAL_MASTER_HOST: HOST,
      INITIAL_MASTER_PORT: String(this.data[0].port),
      SENTINELS: this.sentinelList,
      REDIS_NODES: this.nodeList,
      REDIS_MASTER_NAME: MASTER_NAME,
      REDIS_PORT: String(node.mode === 'redis' ? node.port : this.data[0].port),
      SENTINEL_PORT: String(node.port),
      BIND: HOST,
      DATA_DIR: node.dir,
      DISCOVER_WAIT_SECONDS: '10',
      ...this.passwords,
      ...extra,
    };
    return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  }

  /** Starts `node` through the entrypoint (in the background). */
  start(node: EntrypointNode, extra: Record<string, string | undefined> = {}): void {
    node.output = '';
    const child = spawn('sh', [ENTRYPOINT, node.mode, this.redisServer], { env: this.env(node, extra), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d) => (node.output += d));
    child.stderr?.on('data', (d) => (node.output += d));
    node.child = child;
  }

  /**
   * Starts the data nodes, waits until data[0] has 2 replicas online, then starts the sentinels
   * and waits until each sees the master, its 2 replicas and the 2 other sentinels (quorum 2).
   */
  async startAll(): Promise<void> {
    for (const node of this.data) this.start(node);
    await waitUntil(
      async () => {
        const replication = await this.replication(this.data[0].port);
        return replication['connected_slaves'] === '2' && ['slave0', 'slave1'].every((key) => replication[key]?.includes('state=online'));
      },
      { timeoutMs: 30_000, message: `2 replicas in sync with ${this.data[0].name}` },
    );
    for (const node of this.sentinels) this.start(node);
    for (const sentinel of this.sentinels) await this.waitForSentinel(sentinel, this.data[0].port);
  }

  /** Waits until `sentinel` names the master on `masterPort` with 2 replicas, 2 other sentinels and quorum 2. */
  async waitForSentinel(sentinel: EntrypointNode, masterPort: number): Promise<void> {
    let seen: Record<string, string> = {};
    try {
      await waitUntil(
        async () => {
          seen = pairsToMap(await redisCommand(sentinel.port, ['SENTINEL', 'master', MASTER_NAME], this.sentinelAuth));
          return seen['port'] === String(masterPort) && seen['num-slaves'] === '2' && seen['num-other-sentinels'] === '2' && seen['quorum'] === '2';
        },
        { timeoutMs: 30_000, message: `${sentinel.name} to see the master on port ${masterPort}, 2 replicas and 2 other sentinels` },
      );
    } catch (error) {
      const last = { port: seen['port'], slaves: seen['num-slaves'], sentinels: seen['num-other-sentinels'] };
      throw new Error(`${(error as Error).message}\nlast seen: ${JSON.stringify(last)}\n${sentinel.name} output:\n${sentinel.output}`);
    }
  }

  /** Runs the entrypoint for `node` to its end (for configurations it must refuse). */
  refuses(node: EntrypointNode, extra: Record<string, string | undefined>): Promise<ScriptRun> {
    return runScript(ENTRYPOINT, [node.mode, this.redisServer], this.env(node, extra), 20_000);
  }

  /** Runs deploy/redis/handover.sh against data node `node`, as the kubelet runs the preStop hook. */
  handover(node: EntrypointNode, extra: Record<string, string> = {}): Promise<ScriptRun> {
    return runScript(HANDOVER, [], { ...this.env(node, { REDIS_PORT: String(node.port), REDIS_HOST: HOST }), HANDOVER_TIMEOUT_SECONDS: '20', ...extra }, 60_000);
  }

  /** Kills `node` (if running) with `signal` and waits for it to exit. */
  async kill(node: EntrypointNode, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = node.child;
    if (child && child.exitCode === null && child.signalCode === null) await killAndWait(child, signal);
  }

  /** redisCommand options that authenticate to a data node (as `default`) when authentication is on. */
  get dataAuth(): { password?: string } {
    const password = this.passwords['REDIS_ADMIN_PASSWORD'];
    return password ? { password } : {};
  }

  /** redisCommand options that authenticate to a sentinel (requirepass) when authentication is on. */
  get sentinelAuth(): { password?: string } {
    const password = this.passwords['REDIS_SENTINEL_PASSWORD'];
    return password ? { password } : {};
  }

  /** INFO replication of the node on `port`. */
  async replication(port: number): Promise<Record<string, string>> {
    return parseInfo(String(await redisCommand(port, ['INFO', 'replication'], this.dataAuth)));
  }

  /** The master port `sentinel` names, or undefined. */
  async masterPortSeenBy(sentinel: EntrypointNode): Promise<number | undefined> {
    const reply = (await redisCommand(sentinel.port, ['SENTINEL', 'get-master-addr-by-name', MASTER_NAME], this.sentinelAuth)) as string[] | null;
    return reply ? Number(reply[1]) : undefined;
  }

  /** Kills every node and removes the directories. */
  async stop(): Promise<void> {
    for (const node of [...this.sentinels, ...this.data]) await this.kill(node).catch(() => undefined);
    rmSync(this.root, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }); // a killed node's fork may still be writing
  }
}

/**
 * Runs `sh script args...` with `env` and resolves with its exit code and output; a run still
 * going after `timeoutMs` is SIGKILLed (its process group: a server it started too) and resolves
 * with code null.
 */
function runScript(script: string, args: readonly string[], env: Record<string, string>, timeoutMs: number): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn('sh', [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const timer = setTimeout(() => {
      output += `\n[killed after ${timeoutMs} ms]`;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
