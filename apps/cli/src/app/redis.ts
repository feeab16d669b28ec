import { mkdirSync } from 'node:fs';
import { isProcessAlive, startSentinelTopology, type RedisProcessHandle, type SentinelTopology } from '@failsoft/testing';
import { backoffDelay } from './supervisor';
import { REDIS } from './topology';

/**
 * Starts Redis behind Sentinel (1 master, 2 replicas, 3 sentinels, quorum 2, down-after 2 s) with
 * the jest-free harness of @failsoft/testing, its working dir placed under `parentDir`
 * (`.failsoft/redis/failsoft-sentinel-XXXX/`: configs and logs of every node).
 *
 * The harness creates its dir with mkdtemp under os.tmpdir() and removes it on stop (there is no
 * "dir" option), so TMPDIR is pointed at `parentDir` for the synchronous mkdtemp at the start of
 * the call and restored right after. The data is in memory (no RDB/AOF, as in the harness): it
 * lives as long as the platform runs, and replicas + WAIT keep it through a failover.
 */
export async function startRedis(parentDir: string): Promise<SentinelTopology> {
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
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Called once when a sentinel of the topology exits, to bring it back (the platform restarts it
   * from its own config under the supervisor); returns what to log. Without it, a dead sentinel
   * stays dead (2 of 3 keep the quorum).
   */
  onSentinelExit?: (index: number, sentinel: { host: string; port: number; pid: number }) => string | undefined;
}

/**
 * Self-healing of the data nodes: when one exits (killed by chaos, crashed), it is restarted on its
 * port as a replica of the current master, after a failover when it was the master. Services are
 * never involved. A sentinel that exits is handed to `onSentinelExit` (the platform restarts it
 * from its own config file); without it, it stays dead, which the quorum of 2 out of 3 tolerates.
 * @returns a function that stops watching.
 */
export function watchRedis(topology: SentinelTopology, options: WatchRedisOptions): () => void {
  let active = true;
  const failures = new Map<number, number>();
  const watched = new Set<RedisProcessHandle>();
  let lastMaster: { host: string; port: number } | undefined;

  const watch = (node: RedisProcessHandle): void => {
    if (watched.has(node)) return;
    watched.add(node);
    void node.exited.then(async () => {
      if (!active || options.stopping()) return;
      options.onChange();
      const attempt = failures.get(node.port) ?? 0;
      failures.set(node.port, attempt + 1);
      const delayMs = backoffDelay(attempt, options.initialBackoffMs ?? 500, options.maxBackoffMs ?? 5000);
      const wasMaster = lastMaster?.port === node.port;
      options.log(`[redis] ${wasMaster ? 'master' : 'replica'} :${node.port} (pid ${node.pid}) exited; ${wasMaster ? 'waiting for the sentinels to fail over, then ' : ''}restarting it as a replica in ${delayMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await restart(node, wasMaster);
    });
  };

  const restart = async (node: RedisProcessHandle, wasMaster: boolean): Promise<void> => {
    for (let attempt = 0; active && !options.stopping(); attempt++) {
      try {
        // never start it as a replica of itself: wait until the sentinels name another master
        const master = wasMaster ? await topology.waitForFailover(node, 30_000) : await topology.currentMaster();
        if (master.port === node.port) throw new Error('the sentinels still name it the master');
        if (!active || options.stopping()) return;
        const restarted = await topology.restart(node);
        options.log(`[redis] :${node.port} restarted (pid ${restarted.pid}) as a replica of :${master.port}`);
        watch(restarted);
        options.onChange();
        return;
      } catch (error) {
        const delayMs = backoffDelay(attempt + 1, options.initialBackoffMs ?? 500, options.maxBackoffMs ?? 5000);
        if (!active || options.stopping()) return;
        options.log(`[redis] could not restart :${node.port} yet (${(error as Error).message.split('\n')[0]}); retrying in ${delayMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  };

  for (const node of topology.servers) watch(node);
  for (const [index, sentinel] of topology.sentinels.entries()) {
    // a sentinel handle has no `exited`; poll its pid cheaply instead
    const timer = setInterval(() => {
      if (!active || options.stopping()) return clearInterval(timer);
      if (!isProcessAlive(sentinel.pid)) {
        clearInterval(timer);
        const restarted = options.onSentinelExit?.(index, sentinel);
        options.log(`[redis] sentinel ${index + 1} :${sentinel.port} (pid ${sentinel.pid}) exited; ${restarted ?? 'it is not restarted (2 of 3 sentinels still make the quorum)'}`);
        options.onChange();
      }
    }, 1000);
    timer.unref();
  }
  // follow the master (a failover happens without any process exiting, e.g. SIGSTOP)
  const poll = setInterval(() => {
    if (!active || options.stopping()) return;
    topology.currentMaster().then(
      (master) => {
        if (lastMaster && lastMaster.port !== master.port) {
          options.log(`[redis] failover: the master is now :${master.port} (was :${lastMaster.port})`);
          lastMaster = master;
          options.onChange();
        }
        lastMaster = master;
      },
      () => undefined,
    );
  }, 1000);
  poll.unref();
  void topology.currentMaster().then((m) => (lastMaster = m), () => undefined);
  return () => {
    active = false;
    clearInterval(poll);
  };
}
