import type { Address, PartitionNetwork, ProcessState as SupervisedState, SentinelTopology } from '@failsoft/local-runtime';
import type { FailsoftPaths, RunState } from '../run-state';
import type { ServiceName } from '../topology';

/** Options of `runPlatform` (validated by the `up` command). */
export interface PlatformOptions {
  /** Wanted front door port (a free one is used instead when it is taken, and said so). */
  frontDoorPort: number;
  zones: number;
  seed: boolean;
  /** Bound of the readiness wait. */
  readyTimeoutMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** When the command started (ms since epoch), for the "up in N s" figure. */
  startedAt: number;
  /** Whether a `kill` command exists (for the hint). */
  hasKillCommand: boolean;
  /** Folder of the platform's files (default `<workspace>/.failsoft`; `FAILSOFT_STATE_DIR`). */
  stateDir?: string;
}

/** Options of `startPlatform`: the platform of `npm start`, started from code (tests, benchmarks). */
export interface StartPlatformOptions {
  /** The workspace root (holds dist/ and the sources). */
  workspace: string;
  /** Folder of the platform's files (default `<workspace>/.failsoft`): give tests their own. */
  stateDir?: string;
  /** Front door port (default 8080; `0` picks a free one; a taken port is replaced by a free one). */
  frontDoorPort?: number;
  /** Zones the instances alternate over (default 2). */
  zones?: number;
  /** Create the demo posts (default true). */
  seed?: boolean;
  /** Bound of the readiness wait (default 45 s). */
  readyTimeoutMs?: number;
  /** LOG_LEVEL of every service (default info). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Extra environment of every service instance (e.g. `RATE_LIMIT_WRITES`); the platform's own variables win. */
  env?: Readonly<Record<string, string>>;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Warnings and supervisor lines (default: `log`). */
  warn?: (line: string) => void;
  /** Build stale services first (default true; false fails when a build is missing). */
  build?: boolean;
  /**
   * Reject (after stopping everything) when some instance or the front door is not ready in
   * time (default true); `npm start` keeps running instead and names what is not ready.
   */
  requireReady?: boolean;
  /** How long services get to drain on SIGTERM before SIGKILL (default 10 s). */
  drainTimeoutMs?: number;
  /**
   * Serve the control channel (chaos over loopback HTTP, see control/control.server.ts; its URL and
   * token go in the run-state file and to the gateways) (default true).
   */
  control?: boolean;
  /**
   * Run a local Prometheus scraping every instance when a `prometheus` binary is found (see
   * local-prometheus.ts): `true` / `{ scrapeIntervalS }` to run it, `false` not to (default: `failsoft up`
   * runs it, platforms started from code do not).
   */
  prometheus?: boolean | { scrapeIntervalS?: number };
}

/** One supervised process of a running platform (service instance, `haproxy-1`/`haproxy-2`, or a restarted `sentinel-N`). */
export interface PlatformProcess {
  id: string;
  /** `upload`, `likes`, `feed`, `gateway`, `haproxy` or `sentinel`. */
  service: ServiceName | 'haproxy' | 'sentinel' | 'prometheus';
  pid: number | undefined;
  /** running | backoff | failed | stopping | stopped (stopped = held down until startInstance). */
  state: SupervisedState;
  /** How many times it was (re)started after the first start. */
  restarts: number;
  /** `http://127.0.0.1:<port>` of a service instance (livez, readyz, snapshot; the API on gateways). */
  url: string | undefined;
  httpPort: number | undefined;
  grpcPort: number | undefined;
  zone: string | undefined;
  logFile: string | undefined;
}

/** One Redis data node or sentinel of a running platform. */
export interface PlatformRedisNode {
  host: string;
  port: number;
  pid: number | undefined;
  running: boolean;
}

/** Redis and Sentinel of a running platform, for chaos. */
export interface PlatformRedis {
  /** The harness topology (data nodes, the sentinels as first started). */
  readonly topology: SentinelTopology;
  /** The relays in front of every node and sentinel (`failsoft partition`), when on. */
  readonly network?: PartitionNetwork;
  readonly masterName: string;
  /** redisCommand options (password) for a data node (`default` user) and for a sentinel (requirepass). */
  readonly auth: { readonly data: { readonly password?: string }; readonly sentinel: { readonly password?: string } };
  /** `host:port,...` of the sentinels (what services get in REDIS_SENTINELS). */
  readonly sentinelAddresses: string;
  /** The master a quorum of the running sentinels agree on. */
  currentMaster(): Promise<Address>;
  /** The data nodes (master and replicas), as running now. */
  servers(): PlatformRedisNode[];
  /** The sentinels, as running now (a restarted one has its new pid). */
  sentinels(): PlatformRedisNode[];
  /**
   * Signals the current master (SIGKILL by default; SIGSTOP hangs it) and returns it. A killed
   * master is restarted as a replica once the sentinels failed over; a stopped one waits for {@link resume}.
   */
  killMaster(signal?: NodeJS.Signals): Promise<PlatformRedisNode>;
  /**
   * SIGKILLs the data node on `port` and resolves once it exited. `hold`: the supervisor keeps it
   * down until {@link reviveNode}; otherwise it restarts it as a replica (after a failover when it
   * was the master).
   */
  killNode(port: number, hold: boolean): Promise<PlatformRedisNode>;
  /** Releases a data node held down by {@link killNode} and restarts it now; false when it was neither held nor down. */
  reviveNode(port: number): boolean;
  /** Ports of the data nodes held down. */
  heldNodePorts(): number[];
  /** SIGCONTs a data node stopped with SIGSTOP. */
  resume(server: Address): void;
  /** Waits until every running sentinel names a master other than `oldMaster`. */
  waitForFailover(oldMaster: Address, timeoutMs?: number): Promise<Address>;
  /** Signals sentinel `index` (0-based; SIGKILL by default): the platform restarts it from its config. */
  killSentinel(index: number, signal?: NodeJS.Signals): number | undefined;
  /** Stops sentinel `index` and holds it down (no restart) until {@link startSentinel}. */
  stopSentinel(index: number): Promise<void>;
  /** Starts a sentinel held down by {@link stopSentinel}. */
  startSentinel(index: number): void;
  /**
   * Waits until Redis is whole: every data node running, one master with every other node a
   * connected replica, every sentinel running and agreeing on that master (default 30 s).
   */
  waitForHealthy(timeoutMs?: number): Promise<void>;
}

/** A running local platform (see `startPlatform`). */
export interface Platform {
  /** The front door URL (HAProxy over the gateways, or the first gateway without HAProxy). */
  readonly url: string;
  readonly frontDoor: RunState['frontDoor'];
  /** The files of this platform (logs, run-state, secrets). */
  readonly paths: FailsoftPaths;
  /** How long the start took (ms), build included. */
  readonly startupMs: number;
  /** Empty when every instance and the front door got ready. */
  readonly problems: readonly string[];
  readonly redis: PlatformRedis;
  /** Every supervised process: the service instances, `haproxy`, restarted sentinels. */
  processes(): PlatformProcess[];
  /** One process by id (`likes-1`, `gateway-2`, `haproxy`...). @throws naming the known ids. */
  process(id: string): PlatformProcess;
  /** The instance ids of a service (`likes` → `likes-1`, `likes-2`). */
  instancesOf(service: ServiceName): string[];
  /** URL of the local Prometheus, when one runs. */
  readonly prometheusUrl: string | undefined;
  /**
   * Signals one process as a crash would (SIGKILL by default): the supervisor restarts it. SIGSTOP
   * hangs it and SIGCONT resumes it (no restart). @returns the pid signalled. @throws when it has no live process.
   */
  killInstance(id: string, signal?: NodeJS.Signals): number;
  /** Stops one process and holds it down: the supervisor does not restart it until {@link startInstance}. */
  stopInstance(id: string, options?: { signal?: NodeJS.Signals; timeoutMs?: number }): Promise<void>;
  /** Starts a process held down by {@link stopInstance} (awaits a stop still in progress). */
  startInstance(id: string): Promise<void>;
  /** Waits until the given instances (default: every service instance) answer /livez and /readyz 200. */
  waitForReady(ids?: readonly string[], timeoutMs?: number): Promise<void>;
  /**
   * Waits until everything is whole again: every process running, every service instance ready,
   * HAProxy up and seeing every gateway UP, and Redis whole (see {@link PlatformRedis.waitForHealthy}).
   */
  waitForHealthy(timeoutMs?: number): Promise<void>;
  /** The gateways every front-door process (HAProxy) has UP right now, from their stats pages ([] without HAProxy). */
  frontDoorServersUp(): Promise<string[]>;
  /** Supervisor ids of the front-door processes (`haproxy-1`, `haproxy-2`; [] without HAProxy). */
  frontDoorIds(): string[];
  /** Connections each front-door process accepted on the shared port so far, by id (both accept: SO_REUSEPORT). */
  frontDoorConnections(): Promise<Record<string, number>>;
  /** What `.failsoft/run-state.json` holds right now. */
  runState(): RunState;
  /** Stops everything in order (services drain, front door, Redis); idempotent. */
  stop(reason?: string): Promise<void>;
}
