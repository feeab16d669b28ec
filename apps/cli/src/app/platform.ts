import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { findRedisServer, getFreePort, isProcessAlive, parseInfo, redisCommand, waitUntil, type Address, type SentinelTopology } from '@failsoft/testing';
import { buildProjects, staleServices } from './build';
import { platformChaosTarget } from './chaos/platform-chaos-target';
import type { CliContext } from './commands/command';
import { CONTROL_TOKEN_ENV, CONTROL_URL_ENV } from './control/control.constants';
import { startControlServer, type ControlServer } from './control/control.server';
import { checkHaproxyConfig, findHaproxy, haproxyConfig, missingHaproxyWarning } from './haproxy';
import { probe, waitForReady, type NotReady, type ReadinessTarget } from './readiness';
import { startRedis, watchRedis } from './redis';
import { failsoftPaths, readRunState, shortPath, writeRunState, type FailsoftPaths, type RunState } from './run-state';
import { loadOrCreateSecrets } from './secrets';
import { seedDemoPosts } from './seed';
import { describeExit, Supervisor, tailFile, type ProcessState as SupervisedState } from './supervisor';
import { COMMON_ENV, FRONT_DOOR, LOCAL_HOST, planInstances, REDIS, SERVICE_NAMES, type InstancePlan, type ServiceName } from './topology';

/** Options of {@link runPlatform} (validated by the `up` command). */
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

/** Options of {@link startPlatform}: the platform of `npm start`, started from code (tests, benchmarks). */
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
}

/** One supervised process of a running platform (service instance, `haproxy`, or a restarted `sentinel-N`). */
export interface PlatformProcess {
  id: string;
  /** `upload`, `likes`, `feed`, `gateway`, `haproxy` or `sentinel`. */
  service: ServiceName | 'haproxy' | 'sentinel';
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
  readonly masterName: string;
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

/** A running local platform (see {@link startPlatform}). */
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
  /** The gateways the front door (HAProxy) has UP right now, from its stats page ([] without HAProxy). */
  frontDoorServersUp(): Promise<string[]>;
  /** What `.failsoft/run-state.json` holds right now. */
  runState(): RunState;
  /** Stops everything in order (services drain, front door, Redis); idempotent. */
  stop(reason?: string): Promise<void>;
}

/** How long services get to drain on SIGTERM before SIGKILL. */
const DRAIN_TIMEOUT_MS = 10_000;

/** Variables the platform sets for its children: never inherited from the caller's shell. */
const OWN_ENV = new Set<string>([...COMMON_ENV, 'GRPC_PORT', 'AUTH_SECRET', 'FAILSOFT_UP_RUNNER', 'FAILSOFT_STARTED_AT', CONTROL_URL_ENV, CONTROL_TOKEN_ENV]);

/** True when `port` can be bound on `host` right now. */
export function isPortFree(port: number, host = LOCAL_HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Each run starts with fresh logs; the previous run's stay in `logs/previous/` (one generation). */
function keepPreviousLogs(logs: string): void {
  mkdirSync(logs, { recursive: true });
  const files = readdirSync(logs).filter((f) => f.endsWith('.log'));
  if (files.length === 0) return;
  const previous = join(logs, 'previous');
  rmSync(previous, { recursive: true, force: true });
  mkdirSync(previous);
  for (const file of files) renameSync(join(logs, file), join(previous, file));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The command line of a pid ('' when unreadable). */
function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * Kills what a previous `failsoft up` left behind when it died without stopping (its pid is gone
 * but some children live on). Only pids listed in its run-state whose command line still matches
 * what was started there are signalled.
 */
export function killLeftovers(previous: RunState): number[] {
  const candidates: Array<{ pid: number | null; match: (cmd: string) => boolean }> = [
    ...previous.processes.map((p) => ({ pid: p.pid, match: (cmd: string) => cmd.includes(`dist/apps/${p.service}/`) })),
    { pid: previous.frontDoor.pid, match: (cmd: string) => cmd.includes('haproxy') },
    ...[...previous.redis.servers, ...previous.redis.sentinels].map((s) => ({ pid: s.pid, match: (cmd: string) => cmd.includes('redis-server') && cmd.includes(`:${s.port}`) })),
  ];
  const killed: number[] = [];
  for (const { pid, match } of candidates) {
    if (pid === null || pid === process.pid || !isProcessAlive(pid) || !match(cmdline(pid))) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return killed;
}

/**
 * Copies the Redis nodes' and sentinels' logs out of the topology's working dir (which the harness
 * removes on stop) into `target` (`logs/redis/node-0.log`, `sentinel-1.log`, ...). Best effort.
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

/** Id of the supervised process of a restarted sentinel (`sentinel-1` for index 0). */
function sentinelId(index: number): string {
  return `sentinel-${index + 1}`;
}

/** Thrown by {@link LocalPlatform.start} when another platform runs on the same files. */
class AlreadyRunningError extends Error {}

/**
 * The local platform: Redis + Sentinel, every service instance under the supervisor, the front
 * door, readiness, demo posts and the run-state file. `failsoft up` ({@link runPlatform}) and tests
 * ({@link startPlatform}) run the same code.
 */
class LocalPlatform implements Platform {
  readonly paths: FailsoftPaths;
  readonly supervisor: Supervisor;
  readonly problems: string[] = [];
  startupMs = 0;
  private readonly workspace: string;
  private readonly say: (line: string) => void;
  private readonly warn: (line: string) => void;
  private readonly abort = new AbortController();
  private readonly drainTimeoutMs: number;
  private readonly startedAt: number;
  private topology: SentinelTopology | undefined;
  private redisStarting: Promise<SentinelTopology> | undefined;
  private stopWatchingRedis: (() => void) | undefined;
  private plans: InstancePlan[] = [];
  private lastMaster: Address | null = null;
  private readonly heldSentinels = new Set<number>();
  private control: ControlServer | undefined;
  private readonly state: RunState;
  private stopping: Promise<void> | undefined;
  private resolveStopped!: () => void;
  /** Resolves once stop() has finished (whoever called it: a signal, a test, a failed start). */
  readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));
  private readonly onExit = (): void => this.supervisor.killAllNow(); // never leave a child behind, however this process ends

  constructor(
    private readonly options: Required<Pick<StartPlatformOptions, 'frontDoorPort' | 'zones' | 'seed' | 'readyTimeoutMs' | 'logLevel' | 'build'>> &
      Pick<StartPlatformOptions, 'env' | 'stateDir' | 'control'> & { workspace: string; startedAt: number; hasKillCommand: boolean; drainTimeoutMs?: number },
    io: { say: (line: string) => void; warn: (line: string) => void },
  ) {
    this.workspace = options.workspace;
    this.say = io.say;
    this.warn = io.warn;
    this.startedAt = options.startedAt;
    this.drainTimeoutMs = options.drainTimeoutMs ?? DRAIN_TIMEOUT_MS;
    this.paths = failsoftPaths(this.workspace, options.stateDir);
    this.supervisor = new Supervisor({ log: this.warn, stopTimeoutMs: this.drainTimeoutMs });
    this.state = {
      version: 1,
      cliPid: process.pid,
      workspace: this.workspace,
      startedAt: new Date(options.startedAt).toISOString(),
      readyAt: null,
      stoppedAt: null,
      frontDoor: { url: '', kind: 'pending', port: null, pid: null, statsUrl: null, config: null },
      redis: { masterName: REDIS.masterName, master: null, servers: [], replicas: [], sentinels: [], dir: null },
      processes: [],
      secretsFile: shortPath(this.workspace, this.paths.secrets),
      logsDir: shortPath(this.workspace, this.paths.logs),
    };
    this.supervisor.on('spawn', () => this.save());
    this.supervisor.on('exit', () => this.save());
    this.supervisor.on('gave-up', () => this.save());
    process.on('exit', this.onExit);
  }

  get url(): string {
    return this.state.frontDoor.url;
  }

  get frontDoor(): RunState['frontDoor'] {
    return { ...this.state.frontDoor };
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  runState(): RunState {
    return JSON.parse(JSON.stringify(this.state)) as RunState;
  }

  // ---- run-state ----

  private save(): void {
    const statuses = new Map(this.supervisor.list().map((s) => [s.id, s]));
    this.state.processes = this.plans.map((p) => {
      const s = statuses.get(p.id);
      return {
        id: p.id,
        service: p.service,
        pid: s?.pid ?? null,
        httpPort: p.httpPort,
        grpcPort: p.grpcPort ?? null,
        zone: p.zone,
        url: p.url,
        logFile: shortPath(this.workspace, join(this.paths.logs, `${p.id}.log`)),
        state: s?.state ?? 'pending',
        restarts: s?.restarts ?? 0,
      };
    });
    if (this.state.frontDoor.kind === 'haproxy') this.state.frontDoor.pid = statuses.get('haproxy')?.pid ?? null;
    if (this.topology) {
      const servers = this.topology.servers.map((s) => ({ host: s.host, port: s.port, pid: s.pid, running: s.running }));
      this.state.redis = {
        masterName: this.topology.masterName,
        master: this.lastMaster,
        servers,
        replicas: servers.filter((s) => s.port !== this.lastMaster?.port).map(({ host, port }) => ({ host, port })),
        sentinels: this.sentinelNodes().map((s) => ({ host: s.host, port: s.port, pid: s.pid ?? 0, running: s.running })),
        dir: shortPath(this.workspace, this.topology.dir),
      };
    }
    try {
      writeRunState(this.paths.runState, this.state);
    } catch (error) {
      this.warn(`[state] could not write ${this.paths.runState}: ${(error as Error).message}`);
    }
  }

  private async refreshMaster(): Promise<void> {
    if (!this.topology) return;
    try {
      this.lastMaster = await this.topology.currentMaster();
    } catch {
      // mid-failover: keep the last one
    }
    this.save();
  }

  // ---- start ----

  /**
   * Starts everything. Resolves once the URL is printed (with `problems` naming what is not
   * ready); rejects when the platform cannot start at all (the caller then stops it).
   */
  async start(): Promise<void> {
    const { workspace, paths, say, warn, options } = this;
    const since = (): string => seconds(Date.now() - this.startedAt);

    // 0. one platform per folder of files; clean up after a previous run that died abruptly
    let previous: RunState | undefined;
    try {
      previous = readRunState(paths.runState);
    } catch {
      previous = undefined; // unreadable: overwritten below
    }
    if (previous && previous.stoppedAt === null && previous.cliPid !== process.pid && isProcessAlive(previous.cliPid) && /up|jest/.test(cmdline(previous.cliPid))) {
      throw new AlreadyRunningError(
        `failsoft up: the platform is already running here (pid ${previous.cliPid}, ${previous.frontDoor.url}).\n` +
          `Stop it first (Ctrl-C in its terminal, or kill -TERM ${previous.cliPid}), or see it with: npm run failsoft -- status`,
      );
    }
    if (previous) {
      const killed = killLeftovers(previous);
      if (killed.length) say(`[cleanup] killed ${killed.length} leftover processes of a previous run that did not stop cleanly (pids ${killed.join(', ')})`);
    }
    keepPreviousLogs(paths.logs);
    mkdirSync(paths.redis, { recursive: true });
    const { secrets, created } = loadOrCreateSecrets(paths.secrets);
    say(`failsoft up: starting the local platform (${shortPath(workspace, paths.root)}/ holds logs, run-state${created ? ', new secrets' : ', secrets'})`);

    // 1. build (when stale) and Redis, in parallel
    const stale = staleServices(workspace, SERVICE_NAMES);
    let building: Promise<void>;
    if (stale.length > 0 && !options.build) {
      building = Promise.reject(new Error(`the build of ${stale.join(', ')} is missing or older than its sources; run: npx nx run-many -t build`));
    } else if (stale.length > 0) {
      say(`[build] ${stale.join(', ')}: build missing or older than the sources; running nx run-many -t build (cached when unchanged)`);
      const t = Date.now();
      building = buildProjects(workspace, SERVICE_NAMES, say, this.abort.signal).then(() => say(`[build] done (${seconds(Date.now() - t)})`));
    } else {
      say('[build] dist is up to date');
      building = Promise.resolve();
    }
    say('[redis] starting 1 master, 2 replicas, 3 sentinels...');
    const tRedis = Date.now();
    this.redisStarting = startRedis(paths.redis);
    void this.redisStarting.then(
      (topo) => {
        // the first data node is the master at start
        const [master, ...replicas] = topo.servers;
        say(
          `[redis] ready in ${seconds(Date.now() - tRedis)}: master :${master.port}, replicas ${replicas.map((s) => `:${s.port}`).join(' ')}, ` +
            `sentinels ${topo.sentinels.map((s) => `:${s.port}`).join(' ')} (quorum ${REDIS.quorum}, down-after ${REDIS.downAfterMs} ms)`,
        );
      },
      () => undefined,
    );
    const [built, redis] = await Promise.allSettled([building, this.redisStarting]);
    if (redis.status === 'fulfilled') this.topology = redis.value;
    if (this.stopping) return;
    if (built.status === 'rejected') throw new Error(`${(built.reason as Error).message}\nFix the build and run npm start again.`);
    if (redis.status === 'rejected') throw new Error(`could not start Redis: ${(redis.reason as Error).message}`);
    const topo = redis.value;
    this.lastMaster = await topo.currentMaster();
    this.stopWatchingRedis = watchRedis(topo, {
      log: warn,
      onChange: () => void this.refreshMaster(),
      stopping: () => this.stopping !== undefined,
      onSentinelExit: (index) => this.restartSentinel(index),
    });

    // 2. plan every instance (free ports, env from topology.ts)
    this.plans = await planInstances(
      { sentinels: topo.sentinels, masterName: topo.masterName, failsoftToken: secrets.failsoftToken, authSecret: secrets.authSecret, logLevel: options.logLevel },
      { zones: options.zones, freePort: () => getFreePort() },
    );
    const gateways = this.plans.filter((p) => p.service === 'gateway');

    // 3. front door port and proxy
    const haproxy = findHaproxy();
    let frontDoorPort = options.frontDoorPort;
    if (haproxy && frontDoorPort === 0) {
      frontDoorPort = await getFreePort();
    } else if (haproxy && !(await isPortFree(frontDoorPort))) {
      const wanted = frontDoorPort;
      frontDoorPort = await getFreePort();
      say(`[front door] port ${wanted} is taken; using ${frontDoorPort} instead (choose one with --front-door-port or FRONT_DOOR_PORT)`);
    }
    this.save();
    if (this.stopping) return;

    // 4. the control channel (chaos commands, the console's buttons through the gateways), then the services under the supervisor
    const controlEnv: Record<string, string> = {};
    if (options.control !== false) {
      this.control = await startControlServer({ target: platformChaosTarget(this), log: say });
      this.state.control = { url: this.control.url, token: this.control.token };
      controlEnv[CONTROL_URL_ENV] = this.control.url;
      controlEnv[CONTROL_TOKEN_ENV] = this.control.token;
      this.save();
      if (this.stopping) return;
    }
    const extraEnv = Object.fromEntries(Object.entries(options.env ?? {}).filter(([name]) => !OWN_ENV.has(name)));
    const baseEnv = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !OWN_ENV.has(name))), ...extraEnv };
    for (const plan of this.plans) {
      this.supervisor.start({
        id: plan.id,
        command: process.execPath,
        args: [join(workspace, plan.main)],
        env: { ...baseEnv, ...plan.env, ...(plan.service === 'gateway' ? controlEnv : {}) },
        cwd: workspace,
        logFile: join(paths.logs, `${plan.id}.log`),
      });
    }
    say(`[start] ${this.plans.length} instances (${SERVICE_NAMES.map((s) => `${this.plans.filter((p) => p.service === s).length} ${s}`).join(', ')}); logs in ${this.state.logsDir}/<id>.log`);

    if (haproxy) {
      const statsPort = await getFreePort();
      const config = haproxyConfig({ frontDoorPort, statsPort, gateways: gateways.map((g) => ({ id: g.id, host: LOCAL_HOST, port: g.httpPort })) });
      writeFileSync(paths.haproxyConfig, config);
      const check = checkHaproxyConfig(haproxy, paths.haproxyConfig);
      if (!check.ok) throw new Error(`haproxy rejected the generated ${shortPath(workspace, paths.haproxyConfig)}:\n${check.output}`);
      this.supervisor.start({ id: 'haproxy', command: haproxy, args: ['-f', paths.haproxyConfig, '-db'], cwd: workspace, logFile: join(paths.logs, 'haproxy.log') });
      this.state.frontDoor = {
        url: `http://${LOCAL_HOST}:${frontDoorPort}`,
        kind: 'haproxy',
        port: frontDoorPort,
        pid: this.supervisor.status('haproxy')?.pid ?? null,
        statsUrl: `http://${LOCAL_HOST}:${statsPort}/`,
        config: shortPath(workspace, paths.haproxyConfig),
      };
    } else {
      warn(missingHaproxyWarning(gateways[0].url));
      this.state.frontDoor = { url: gateways[0].url, kind: 'direct', port: gateways[0].httpPort, pid: null, statsUrl: null, config: null };
    }
    this.save();

    // 5. readiness of every instance (bounded), then the front door
    const targets = this.readinessTargets();
    say(`[ready] waiting for /livez and /readyz of ${targets.length} instances (up to ${seconds(options.readyTimeoutMs)})`);
    const result = await waitForReady(targets, {
      timeoutMs: options.readyTimeoutMs,
      signal: this.abort.signal,
      onReady: (target, n, total) => say(`[${n}/${total}] ${target.id} ready (${since()})`),
      onWaiting: (pending, elapsedMs) => say(`[ready] still waiting for ${pending.join(', ')} (${seconds(elapsedMs)})`),
    });
    if (this.stopping) return;
    const problems = this.problems;
    if (result.notReady.length > 0) {
      problems.push(`${result.notReady.length} of ${targets.length} instances not ready`);
      warn(`[ready] NOT READY after ${seconds(options.readyTimeoutMs)}: ${result.notReady.map((n) => n.id).join(', ')}`);
      this.explainNotReady(result.notReady);
      warn('[ready] the platform keeps running (crashed instances keep being restarted); see: npm run failsoft -- status');
    }
    const url = this.state.frontDoor.url;
    if (this.state.frontDoor.kind === 'haproxy') {
      if (gateways.some((g) => result.ready.includes(g.id))) {
        const t = Date.now();
        try {
          await waitUntil(async () => (await probe(`${url}/readyz`, 1000)).status === 200, { timeoutMs: 10_000, intervalMs: 100, message: 'the front door' });
          say(`[front door] haproxy ready on ${url} (${seconds(Date.now() - t)}; stats ${this.state.frontDoor.statsUrl})`);
        } catch {
          problems.push('front door not ready');
          warn(`[front door] ${url} did not answer /readyz 200 within 10 s; haproxy log: ${shortPath(workspace, join(paths.logs, 'haproxy.log'))}`);
        }
      } else {
        problems.push('no gateway ready');
        warn(`[front door] no gateway is ready: ${url} answers 503 until one is`);
      }
    }
    if (this.stopping) return;

    // 6. demo content
    if (options.seed && !problems.includes('no gateway ready')) {
      const t = Date.now();
      const seeded = await seedDemoPosts(url, { log: warn });
      if (seeded.created > 0) say(`[seed] ${seeded.created} demo posts created as alice (${seconds(Date.now() - t)})`);
      else if (seeded.skipped && seeded.warnings.length === 0) say(`[seed] skipped: ${seeded.skipped}`);
    }
    if (this.stopping) return;

    // 7. the URL
    await this.refreshMaster();
    this.startupMs = Date.now() - this.startedAt;
    const likes1 = this.supervisor.status('likes-1');
    const hint = options.hasKillCommand ? 'failsoft kill likes' : `kill -9 ${likes1?.pid ?? '<pid of likes-1>'} (likes-1) and watch it come back`;
    if (problems.length === 0) {
      this.state.readyAt = new Date().toISOString();
      this.save();
      say(`\nFailsoft is up in ${since()}: ${url}`);
    } else {
      this.save();
      say(`\nFailsoft started in ${since()} with problems (${problems.join('; ')}; see above): ${url}`);
    }
    say(`  try: npm run failsoft -- status  |  ${hint}  |  Ctrl-C stops everything`);
  }

  private readinessTargets(ids?: readonly string[]): ReadinessTarget[] {
    return this.plans
      .filter((p) => ids === undefined || ids.includes(p.id))
      .map((p) => ({
        id: p.id,
        baseUrl: p.url,
        logFile: join(this.paths.logs, `${p.id}.log`),
        failure: () => {
          const s = this.supervisor.status(p.id);
          if (s?.state === 'failed') return `exited with code ${s.lastExit?.code} (configuration error); not restarted`;
          if (s?.state === 'stopped') return 'stopped (held down)';
          return undefined;
        },
      }));
  }

  private explainNotReady(notReady: readonly NotReady[]): void {
    for (const n of notReady) {
      const status = this.supervisor.status(n.id);
      const restarts = status?.restarts ? ` (restarted ${status.restarts} times, last exit ${status.lastExit ? describeExit(status.lastExit) : '-'})` : '';
      this.warn(`  ${n.id}: ${n.reason}${restarts}; log: ${n.logFile ? shortPath(this.workspace, n.logFile) : '-'}`);
      const tail = tailFile(n.logFile, 3).split('\n').filter(Boolean);
      for (const line of tail) this.warn(`      ${line.length > 200 ? `${line.slice(0, 200)}...` : line}`);
    }
  }

  // ---- stop ----

  /** Stops everything: services (drain) → front door → restarted sentinels → Redis. Idempotent. */
  stop(reason = 'stop'): Promise<void> {
    this.stopping ??= (async () => {
      const t = Date.now();
      this.abort.abort();
      this.supervisor.beginShutdown();
      await this.control?.close();
      delete this.state.control;
      this.say(`\n[stop] ${reason}: stopping the services (SIGTERM, up to ${this.drainTimeoutMs / 1000} s to drain; Ctrl-C again to kill at once)`);
      await this.supervisor.stopAll({ ids: this.plans.map((p) => p.id), timeoutMs: this.drainTimeoutMs });
      if (this.supervisor.status('haproxy')) {
        this.say('[stop] stopping the front door (haproxy)');
        await this.supervisor.stop('haproxy', { timeoutMs: 3000 });
      }
      await this.supervisor.stopAll({ timeoutMs: 3000 });
      this.stopWatchingRedis?.();
      const redis = this.topology ?? (await this.redisStarting?.catch(() => undefined));
      if (redis) {
        this.say('[stop] stopping Redis and the sentinels');
        keepRedisLogs(redis.dir, join(this.paths.logs, 'redis'));
        await redis.stop();
      }
      this.state.stoppedAt = new Date().toISOString();
      this.save();
      process.off('exit', this.onExit);
      this.say(`[stop] everything stopped in ${seconds(Date.now() - t)}; logs are kept in ${this.state.logsDir}/`);
    })().finally(() => this.resolveStopped());
    return this.stopping;
  }

  /** SIGKILLs every child at once (second Ctrl-C). */
  killAllNow(): void {
    this.supervisor.killAllNow();
  }

  // ---- chaos and control ----

  processes(): PlatformProcess[] {
    const plans = new Map(this.plans.map((p) => [p.id, p]));
    return this.supervisor.list().map((s) => {
      const plan = plans.get(s.id);
      const service: PlatformProcess['service'] = plan ? plan.service : s.id === 'haproxy' ? 'haproxy' : 'sentinel';
      return {
        id: s.id,
        service,
        pid: s.state === 'running' || s.state === 'stopping' ? s.pid : undefined,
        state: s.state,
        restarts: s.restarts,
        url: plan?.url,
        httpPort: plan?.httpPort,
        grpcPort: plan?.grpcPort,
        zone: plan?.zone,
        logFile: s.logFile,
      };
    });
  }

  process(id: string): PlatformProcess {
    const found = this.processes().find((p) => p.id === id);
    if (!found) throw new RangeError(`no process ${JSON.stringify(id)}; the platform runs ${this.processes().map((p) => p.id).join(', ')}`);
    return found;
  }

  instancesOf(service: ServiceName): string[] {
    return this.plans.filter((p) => p.service === service).map((p) => p.id);
  }

  killInstance(id: string, signal: NodeJS.Signals = 'SIGKILL'): number {
    this.process(id);
    const pid = this.supervisor.kill(id, signal);
    if (pid === undefined) throw new Error(`${id} has no live process to signal (state ${this.supervisor.status(id)?.state})`);
    return pid;
  }

  async stopInstance(id: string, options: { signal?: NodeJS.Signals; timeoutMs?: number } = {}): Promise<void> {
    this.process(id);
    await this.supervisor.stop(id, { signal: options.signal, timeoutMs: options.timeoutMs ?? this.drainTimeoutMs });
    this.save();
  }

  async startInstance(id: string): Promise<void> {
    this.process(id);
    await waitUntil(() => this.supervisor.status(id)?.state !== 'stopping', { timeoutMs: this.drainTimeoutMs + 5000, intervalMs: 20, message: `${id} to finish stopping` });
    this.supervisor.startAgain(id);
  }

  async waitForReady(ids?: readonly string[], timeoutMs = 45_000): Promise<void> {
    const targets = this.readinessTargets(ids);
    const result = await waitForReady(targets, { timeoutMs, signal: this.abort.signal, intervalMs: 100 });
    if (result.notReady.length > 0) {
      throw new Error(`not ready after ${seconds(timeoutMs)}: ${result.notReady.map((n) => `${n.id} (${n.reason}; log ${n.logFile ? shortPath(this.workspace, n.logFile) : '-'})`).join(', ')}`);
    }
  }

  async waitForHealthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const left = (): number => Math.max(1, deadline - Date.now());
    await waitUntil(
      () => {
        const down = this.supervisor.list().filter((s) => s.state !== 'running');
        if (down.length > 0) throw new Error(`not running: ${down.map((s) => `${s.id} (${s.state})`).join(', ')}`);
        return true;
      },
      { timeoutMs: left(), intervalMs: 50, message: 'every supervised process to run' },
    );
    await this.waitForReady(undefined, left());
    await this.redis.waitForHealthy(left());
    if (this.state.frontDoor.kind === 'haproxy') {
      const gateways = this.instancesOf('gateway');
      await waitUntil(
        async () => {
          if ((await probe(`${this.url}/readyz`, 1000)).status !== 200) throw new Error('the front door does not answer /readyz 200');
          const up = await this.frontDoorServersUp();
          const missing = gateways.filter((g) => !up.includes(g));
          if (missing.length > 0) throw new Error(`haproxy does not see ${missing.join(', ')} UP yet`);
          return true;
        },
        { timeoutMs: left(), intervalMs: 100, message: 'the front door to see every gateway up' },
      );
    }
  }

  /** The gateways HAProxy has UP right now (from its stats CSV). */
  async frontDoorServersUp(): Promise<string[]> {
    const statsUrl = this.state.frontDoor.statsUrl;
    if (!statsUrl) return [];
    const csv = await probe(`${statsUrl};csv`, 1000);
    if (csv.status !== 200) throw new Error(`haproxy stats answered ${csv.status ?? csv.error}`);
    // the probe keeps the first 2 KB: enough for one frontend and a few servers
    return csv.body
      .split('\n')
      .map((line) => line.split(','))
      .filter((cols) => cols[0] === 'gateways' && cols[1] !== 'BACKEND' && cols[1] !== 'FRONTEND' && /^UP/.test(cols[17] ?? ''))
      .map((cols) => cols[1]);
  }

  // ---- Redis ----

  private sentinelNodes(): PlatformRedisNode[] {
    const topo = this.topology;
    if (!topo) return [];
    return topo.sentinels.map((s, index) => {
      const supervised = this.supervisor.status(sentinelId(index));
      const pid = supervised ? (supervised.state === 'running' ? supervised.pid : undefined) : s.pid;
      return { host: s.host, port: s.port, pid, running: pid !== undefined && isProcessAlive(pid) };
    });
  }

  /** Brings sentinel `index` back from its own (rewritten) config file, under the supervisor. */
  private restartSentinel(index: number): string | undefined {
    const topo = this.topology;
    if (!topo || this.stopping) return undefined;
    if (this.heldSentinels.has(index)) return 'held down (stopSentinel): not restarted';
    const id = sentinelId(index);
    if (this.supervisor.status(id)) {
      this.supervisor.startAgain(id);
      return `restarted under the supervisor as ${id}`;
    }
    const { port } = topo.sentinels[index];
    const dir = join(topo.dir, `sentinel-${index}`);
    const config = join(dir, `sentinel-${port}.conf`);
    if (!existsSync(config)) return `not restarted: its config ${config} is gone`;
    this.supervisor.start({ id, command: findRedisServer(), args: [config, '--sentinel'], cwd: dir, logFile: join(this.paths.logs, `${id}.log`) });
    return `restarting it from its config on :${port} (supervised as ${id})`;
  }

  readonly redis: PlatformRedis = ((platform: LocalPlatform): PlatformRedis => {
    const topo = (): SentinelTopology => {
      if (!platform.topology) throw new Error('Redis is not started');
      return platform.topology;
    };
    /** What the running sentinels say the master is. */
    const sentinelAnswers = async (): Promise<string[]> =>
      Promise.all(
        platform
          .sentinelNodes()
          .filter((s) => s.running)
          .map(async (s) => {
            const reply = await redisCommand(s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', topo().masterName], { timeoutMs: 1000 });
            return Array.isArray(reply) ? `${String(reply[0])}:${String(reply[1])}` : '?';
          }),
      );
    return {
      get topology() {
        return topo();
      },
      get masterName() {
        return topo().masterName;
      },
      get sentinelAddresses() {
        return topo()
          .sentinels.map((s) => `${s.host}:${s.port}`)
          .join(',');
      },
      currentMaster: () => topo().currentMaster(),
      servers: () => topo().servers.map((s) => ({ host: s.host, port: s.port, pid: s.pid, running: s.running })),
      sentinels: () => platform.sentinelNodes(),
      killMaster: async (signal: NodeJS.Signals = 'SIGKILL') => {
        const killed = await topo().killMaster(signal);
        void platform.refreshMaster();
        return { host: killed.host, port: killed.port, pid: killed.pid, running: killed.running };
      },
      resume: (server: Address) => topo().resume(topo().serverAt(server.port)),
      waitForFailover: (oldMaster: Address, timeoutMs = 30_000) => topo().waitForFailover(oldMaster, timeoutMs),
      killSentinel: (index: number, signal: NodeJS.Signals = 'SIGKILL') => {
        const node = platform.sentinelNodes()[index];
        if (!node) throw new RangeError(`no sentinel ${index}; there are ${topo().sentinels.length} (0-based)`);
        if (node.pid === undefined || !node.running) return undefined;
        process.kill(node.pid, signal);
        return node.pid;
      },
      stopSentinel: async (index: number) => {
        const node = platform.sentinelNodes()[index];
        if (!node) throw new RangeError(`no sentinel ${index}; there are ${topo().sentinels.length} (0-based)`);
        platform.heldSentinels.add(index);
        const id = sentinelId(index);
        if (platform.supervisor.status(id)) {
          await platform.supervisor.stop(id, { timeoutMs: 3000 });
        } else if (node.pid !== undefined && node.running) {
          const pid = node.pid;
          process.kill(pid, 'SIGTERM');
          await waitUntil(() => !isProcessAlive(pid), { timeoutMs: 5000, intervalMs: 20, message: `sentinel ${index + 1} (pid ${pid}) to exit` }).catch(() => process.kill(pid, 'SIGKILL'));
        }
        platform.save();
      },
      startSentinel: (index: number) => {
        platform.heldSentinels.delete(index);
        const node = platform.sentinelNodes()[index];
        if (node?.running) return;
        platform.restartSentinel(index);
      },
      waitForHealthy: async (timeoutMs = 30_000) => {
        await waitUntil(
          async () => {
            const servers = topo().servers;
            const dead = servers.filter((s) => !s.running);
            if (dead.length) throw new Error(`data nodes not running: ${dead.map((s) => `:${s.port}`).join(', ')}`);
            const sentinels = platform.sentinelNodes();
            const down = sentinels.filter((s) => !s.running);
            if (down.length) throw new Error(`sentinels not running: ${down.map((s) => `:${s.port}`).join(', ')}`);
            const answers = await sentinelAnswers();
            if (answers.some((a) => a !== answers[0])) throw new Error(`the sentinels disagree on the master: ${answers.join(', ')}`);
            const masterPort = Number(answers[0].split(':').pop());
            const info = parseInfo(String(await redisCommand(masterPort, ['INFO', 'replication'], { timeoutMs: 1000 })));
            if (info['role'] !== 'master') throw new Error(`:${masterPort} is named the master but says role ${info['role']}`);
            const online = Object.keys(info).filter((k) => /^slave\d+$/.test(k) && info[k].includes('state=online')).length;
            if (online !== servers.length - 1) throw new Error(`the master :${masterPort} has ${online} of ${servers.length - 1} replicas online`);
            return true;
          },
          { timeoutMs, intervalMs: 100, message: 'Redis to be whole (every node and sentinel up, replicas online)' },
        );
        await platform.refreshMaster();
      },
    };
  })(this);
}

function defaults(options: StartPlatformOptions): ConstructorParameters<typeof LocalPlatform>[0] {
  return {
    workspace: options.workspace,
    stateDir: options.stateDir,
    frontDoorPort: options.frontDoorPort ?? FRONT_DOOR.defaultPort,
    zones: options.zones ?? 2,
    seed: options.seed ?? true,
    readyTimeoutMs: options.readyTimeoutMs ?? 45_000,
    logLevel: options.logLevel ?? 'info',
    build: options.build ?? true,
    env: options.env,
    drainTimeoutMs: options.drainTimeoutMs,
    control: options.control ?? true,
    startedAt: Date.now(),
    hasKillCommand: false,
  };
}

/**
 * Starts the local platform of `npm start` from code, in this process: Redis + Sentinel, every
 * service instance under the supervisor (restarted when it dies), HAProxy, readiness, demo posts.
 * Resolves once the front door URL serves (with `requireReady`, the default, only when every
 * instance got ready: otherwise everything is stopped and the error names what was not ready).
 * Everything it started is killed if this process exits without calling `stop()`.
 */
export async function startPlatform(options: StartPlatformOptions): Promise<Platform> {
  const log = options.log ?? (() => undefined);
  const platform = new LocalPlatform(defaults(options), { say: log, warn: options.warn ?? log });
  try {
    await platform.start();
  } catch (error) {
    await platform.stop('startup failed');
    throw error;
  }
  if ((options.requireReady ?? true) && platform.problems.length > 0) {
    const logs = shortPath(options.workspace, platform.paths.logs);
    await platform.stop('startup failed');
    throw new Error(`the platform did not get ready: ${platform.problems.join('; ')} (logs in ${logs}/)`);
  }
  return platform;
}

/**
 * `failsoft up` proper: builds when needed, starts Redis + Sentinel, every service instance under
 * the supervisor and the front door, waits for readiness, seeds demo posts, prints the URL, keeps
 * `.failsoft/run-state.json` current, and on SIGINT/SIGTERM stops services (drain), then the front
 * door, then Redis. A second signal kills everything at once.
 * @returns the exit code (0 after a clean stop).
 */
export async function runPlatform(ctx: CliContext, options: PlatformOptions): Promise<number> {
  const { io, workspace } = ctx;
  const platform = new LocalPlatform(
    {
      workspace,
      stateDir: options.stateDir,
      frontDoorPort: options.frontDoorPort,
      zones: options.zones,
      seed: options.seed,
      readyTimeoutMs: options.readyTimeoutMs,
      logLevel: options.logLevel,
      build: true,
      startedAt: options.startedAt,
      hasKillCommand: options.hasKillCommand,
    },
    { say: (line) => io.out(line), warn: (line) => io.err(line) },
  );
  let exitCode = 0;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      void platform.stop(signal === 'SIGINT' ? 'Ctrl-C' : signal);
      return;
    }
    io.err(`[stop] ${signal} again: killing everything now`);
    platform.killAllNow();
    process.exit(130); // the @failsoft/testing exit hook SIGKILLs the Redis processes
  };
  const onDisconnect = (): void => void platform.stop('the failsoft up terminal went away');
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('disconnect', onDisconnect);
  process.channel?.unref();

  let stopped: Promise<void>;
  try {
    await platform.start();
    stopped = platform.stopped; // a signal (or the terminal going away) stops it
  } catch (error) {
    if (error instanceof AlreadyRunningError) {
      io.err(error.message);
      exitCode = 1;
      stopped = Promise.resolve();
    } else if (!platform.isStopping) {
      io.err(`failsoft up: ${(error as Error).message}`);
      exitCode = 1;
      stopped = platform.stop('startup failed');
    } else {
      stopped = platform.stopped;
    }
  }
  await stopped;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
  process.off('disconnect', onDisconnect);
  return exitCode;
}
