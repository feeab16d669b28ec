import { mkdirSync } from 'node:fs';
import { isProcessAlive, startSentinelTopology, type PartitionNetwork, type RedisProcessHandle, type SentinelTopology, type TopologyAuth } from '@failsoft/local-runtime';
import { describeRedisFailure } from './redis-log-reason';
import { REDIS_RESTART_BACKOFF, RestartBackoff, type RestartBackoffOptions } from './restart-backoff';
import { REDIS } from './topology';

/**
 * Starts Redis behind Sentinel (1 master, 2 replicas, 3 sentinels, quorum 2, down-after 2 s) with
 * @failsoft/local-runtime, its working dir placed under `parentDir`
 * (`.failsoft/redis/failsoft-sentinel-XXXX/`: configs and logs of every node).
 *
 * The harness creates its dir with mkdtemp under os.tmpdir() and removes it on stop (there is no
 * "dir" option), so TMPDIR is pointed at `parentDir` for the synchronous mkdtemp at the start of
 * the call and restored right after. The data is in memory (no RDB/AOF, as in the harness): it
 * lives as long as the platform runs, and replicas + WAIT keep it through a failover. Every data
 * node runs with `maxmemory` REDIS.maxmemory and `maxmemory-policy noeviction`. With `network`,
 * every node and sentinel sits behind one of its relays (same ports), so links can be cut. With
 * `auth`, every data node loads its ACL users and the sentinels require a password (masterauth,
 * sentinel auth-user/auth-pass): nothing answers without credentials.
 */
export async function startRedis(parentDir: string, network?: PartitionNetwork, auth?: TopologyAuth): Promise<SentinelTopology> {
  mkdirSync(parentDir, { recursive: true });
  const saved = process.env['TMPDIR'];
  process.env['TMPDIR'] = parentDir;
  let starting: Promise<SentinelTopology>;
  try {
    starting = startSentinelTopology({
      replicas: REDIS.replicas,
      sentinels: REDIS.sentinels,
      quorum: REDIS.quorum,
      downAfterMs: REDIS.downAfterMs,
      failoverTimeoutMs: REDIS.failoverTimeoutMs,
      masterName: REDIS.masterName,
      // a memory cap that refuses writes when full and never evicts acknowledged data
      serverArgs: ['--maxmemory', REDIS.maxmemory, '--maxmemory-policy', REDIS.maxmemoryPolicy],
      // every node and sentinel behind a relay of `network`: `failsoft partition` cuts links
      relays: network ? { network } : undefined,
      auth,
    });
  } finally {
    if (saved === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = saved;
  }
  return starting;
}

/** Options of {@link watchRedis}. */
export interface WatchRedisOptions {
  log: (line: string) => void;
  /** Called after any change (a node exited or was restarted, the master moved). */
  onChange: () => void;
  /** True while shutting down: nothing is restarted then. */
  stopping: () => boolean;
  /** Restart backoff (default REDIS_RESTART_BACKOFF: 500 ms doubling to 5 s, reset after 30 s up). */
  backoff?: RestartBackoffOptions;
  /** True for a data node held down by chaos (`failsoft redis hold`): not restarted until {@link RedisWatch.release}. */
  isHeld?: (port: number) => boolean;
  /**
   * Called once when a sentinel of the topology exits, to bring it back (the platform restarts it
   * from its own config under the supervisor); returns what to log. Without it, a dead sentinel
   * stays dead (2 of 3 keep the quorum).
   */
  onSentinelExit?: (index: number, sentinel: { host: string; port: number; pid: number }) => string | undefined;
}

/** What {@link watchRedis} returns. */
export interface RedisWatch {
  /** Stops watching (nothing is restarted any more). */
  stop(): void;
  /** Restarts the exited data node on `port` now (a held node released); false when it is not down. */
  release(port: number): boolean;
}

/**
 * Self-healing of the data nodes: when one exits (killed by chaos, crashed), it is restarted on its
 * port as a replica of the current master, after a failover when it was the master, with a backoff
 * that starts over once the node stayed up for a while; a failed restart is logged with the reason
 * from the Redis log (e.g. "Address already in use"). A node held down (`isHeld`) waits for
 * {@link RedisWatch.release}. Services are never involved. A sentinel that exits is handed to
 * `onSentinelExit` (the platform restarts it from its own config file); without it, it stays dead,
 * which the quorum of 2 out of 3 tolerates.
 */
export function watchRedis(topology: SentinelTopology, options: WatchRedisOptions): RedisWatch {
  let active = true;
  const backoff = new RestartBackoff(options.backoff ?? REDIS_RESTART_BACKOFF);
  const watched = new Set<RedisProcessHandle>();
  const down = new Map<number, { node: RedisProcessHandle; wasMaster: boolean; restarting: boolean }>();
  let lastMaster: { host: string; port: number } | undefined;

  const watch = (node: RedisProcessHandle): void => {
    if (watched.has(node)) return;
    watched.add(node);
    backoff.onUp(node.port);
    void node.exited.then(async () => {
      if (!active || options.stopping()) return;
      options.onChange();
      const wasMaster = lastMaster?.port === node.port;
      const entry = { node, wasMaster, restarting: false };
      down.set(node.port, entry);
      const role = wasMaster ? 'master' : 'replica';
      if (options.isHeld?.(node.port)) {
        options.log(`[redis] ${role} :${node.port} (pid ${node.pid}) exited; held down until revived (failsoft redis revive)`);
        return;
      }
      const delayMs = backoff.onExit(node.port);
      options.log(`[redis] ${role} :${node.port} (pid ${node.pid}) exited; ${wasMaster ? 'waiting for the sentinels to fail over, then ' : ''}restarting it as a replica in ${delayMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await restart(entry);
    });
  };

  const restart = async (entry: { node: RedisProcessHandle; wasMaster: boolean; restarting: boolean }): Promise<void> => {
    const { node, wasMaster } = entry;
    if (entry.restarting) return;
    entry.restarting = true;
    for (let attempt = 0; active && !options.stopping(); attempt++) {
      if (options.isHeld?.(node.port)) break; // held meanwhile: release() restarts it
      try {
        // never start it as a replica of itself: wait until the sentinels name another master
        const master = wasMaster ? await topology.waitForFailover(node, 30_000) : await topology.currentMaster();
        if (master.port === node.port) throw new Error('the sentinels still name it the master');
        if (!active || options.stopping()) break;
        const restarted = await topology.restart(node);
        down.delete(node.port);
        options.log(`[redis] :${node.port} restarted (pid ${restarted.pid}) as a replica of :${master.port}`);
        watch(restarted);
        options.onChange();
        return;
      } catch (error) {
        const delayMs = backoff.retryDelay(attempt + 1);
        if (!active || options.stopping()) break;
        options.log(`[redis] could not restart :${node.port} yet (${describeRedisFailure(error)}); retrying in ${delayMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
    entry.restarting = false;
  };

  for (const node of topology.servers) watch(node);
  watchSentinels(topology, options, () => active);
  const poll = followMaster(topology, options, () => active, (master) => (lastMaster = master));
  void topology.currentMaster().then((m) => (lastMaster = m), () => undefined);
  return {
    stop: () => {
      active = false;
      clearInterval(poll);
    },
    release: (port) => {
      const entry = down.get(port);
      if (!entry || !active) return false;
      void restart(entry);
      return true;
    },
  };
}

/** Polls the pid of every sentinel (a sentinel handle has no `exited`) and hands one that exited to `onSentinelExit`. */
function watchSentinels(topology: SentinelTopology, options: WatchRedisOptions, active: () => boolean): void {
  for (const [index, sentinel] of topology.sentinels.entries()) {
    const timer = setInterval(() => {
      if (!active() || options.stopping()) return clearInterval(timer);
      if (!isProcessAlive(sentinel.pid)) {
        clearInterval(timer);
        const restarted = options.onSentinelExit?.(index, sentinel);
        options.log(`[redis] sentinel ${index + 1} :${sentinel.port} (pid ${sentinel.pid}) exited; ${restarted ?? 'it is not restarted (2 of 3 sentinels still make the quorum)'}`);
        options.onChange();
      }
    }, 1000);
    timer.unref();
  }
}

/**
 * Follows the master every second (a failover happens without any process exiting, e.g. SIGSTOP),
 * logging a move; `onMaster` gets every answer. @returns the timer (cleared on stop).
 */
function followMaster(topology: SentinelTopology, options: WatchRedisOptions, active: () => boolean, onMaster: (master: { host: string; port: number }) => void): NodeJS.Timeout {
  let last: { host: string; port: number } | undefined;
  const poll = setInterval(() => {
    if (!active() || options.stopping()) return;
    topology.currentMaster().then(
      (master) => {
        const moved = last !== undefined && last.port !== master.port;
        if (moved) options.log(`[redis] failover: the master is now :${master.port} (was :${last?.port})`);
        last = master;
        onMaster(master);
        if (moved) options.onChange();
      },
      () => undefined,
    );
  }, 1000);
  poll.unref();
  return poll;
}
