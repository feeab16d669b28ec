import { ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { getFreePort, RESERVED_REDIS_PORT, RESERVED_SENTINEL_PORT } from './free-port';
import { trackDir, trackPid, untrackDir, untrackPid } from './process-registry';
import { redisCommand } from './redis-command';
import { InvalidRuntimeOptionsError, RedisServerMissingError, LocalRuntimeError, assertInteger, show } from './local-runtime.error';
import { sentinelAuthLines, type TopologyAuth } from './topology-auth';
import { sleep } from './wait-until';

/** A running `redis-server` process started by the runtime. */
export interface RedisServerHandle {
  /** Loopback address it listens on (127.0.0.1). */
  readonly host: string;
  /** TCP port it listens on (never 6379). */
  readonly port: number;
  /** OS process id. */
  readonly pid: number;
  /** Its working directory (log, config, any persistence files). */
  readonly dir: string;
  /** Stops it (SIGCONT + SIGTERM, SIGKILL after 3 s) and removes its dir if the runtime created it. Idempotent. */
  stop(): Promise<void>;
  /** Sends a signal (default SIGKILL) to this process only; a no-op once it has exited. */
  kill(signal?: NodeJS.Signals): void;
}

/** A redis process of the runtime, with what callers and the runtime itself need beyond the handle. */
export interface RedisProcessHandle extends RedisServerHandle {
  /** True until the process has exited. */
  readonly running: boolean;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /** The last lines of its log file and stderr, for error messages. */
  logTail(lines?: number): string;
}

/** Options of {@link startRedisServer}. */
export interface StartRedisServerOptions {
  /** Port to listen on (default: a free port; 6379 is refused). */
  port?: number;
  /** Extra `redis-server` arguments, e.g. `['--appendonly', 'yes']` (they come last, so they win). */
  args?: string[];
  /** Start as a replica of this server. */
  replicaOf?: { host: string; port: number };
  /** Working directory (default: a new temp dir under os.tmpdir(), removed on stop). */
  dir?: string;
  /** How long to wait for PONG (default 15000 ms). */
  startTimeoutMs?: number;
}

const LOOPBACK = '127.0.0.1';

/**
 * The path of the `redis-server` binary: `$REDIS_SERVER_BIN` when set, else the first executable
 * `redis-server` on `searchPath` (default `$PATH`).
 * @throws RedisServerMissingError saying "install it: apt-get install redis-server" when there is none.
 */
export function findRedisServer(searchPath: string = process.env['PATH'] ?? ''): string {
  const fromEnv = process.env['REDIS_SERVER_BIN'];
  const dirs = searchPath.split(delimiter).filter(Boolean);
  const candidates = [...(fromEnv ? [fromEnv] : []), ...dirs.map((dir) => join(dir, 'redis-server'))];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new RedisServerMissingError(dirs);
}

/** Checks a port option: an integer from 1 to 65535, never the machine's own Redis/Sentinel port. */
export function assertPort(name: string, port: unknown): number {
  assertInteger(name, port, 1, 65535);
  if (port === RESERVED_REDIS_PORT || port === RESERVED_SENTINEL_PORT) {
    throw new InvalidRuntimeOptionsError(`${name} must not be ${port} (the machine's own Redis); got ${port}`);
  }
  return port as number;
}

class RedisChild implements RedisProcessHandle {
  readonly host = LOOPBACK;
  readonly pid: number;
  readonly exited: Promise<void>;
  exitDescription = '';
  private alive = true;
  private stopping: Promise<void> | undefined;
  private output = '';

  constructor(
    child: ChildProcess,
    readonly port: number,
    readonly dir: string,
    private readonly ownsDir: boolean,
    private readonly logFile: string,
    label: string,
  ) {
    if (child.pid === undefined) throw new LocalRuntimeError('PROCESS_FAILED', `could not spawn ${label}`);
    this.pid = child.pid;
    trackPid(this.pid, label);
    const append = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-8000);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (!this.alive) return;
        this.alive = false;
        this.exitDescription = signal ?? `code ${code}`;
        untrackPid(this.pid);
        resolve();
      };
      child.once('exit', done);
      child.once('error', () => done(null, null));
    });
  }

  get running(): boolean {
    return this.alive;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.alive) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // exited between the check and the signal
    }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.alive) {
        this.kill('SIGCONT');
        this.kill('SIGTERM');
        const timer = setTimeout(() => this.kill('SIGKILL'), 3000);
        timer.unref();
        await this.exited;
        clearTimeout(timer);
      }
      if (this.ownsDir) {
        rmSync(this.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
        untrackDir(this.dir);
      }
    })();
    return this.stopping;
  }

  logTail(lines = 20): string {
    let log = '';
    try {
      log = readFileSync(this.logFile, 'utf8');
    } catch {
      // no log yet
    }
    return `${log}\n${this.output}`.trim().split('\n').slice(-lines).join('\n');
  }
}

/** Internal options of {@link spawnRedis}. */
export interface SpawnRedisOptions {
  /** Working directory; created when missing. */
  dir: string;
  /** Whether stop() removes `dir`. */
  ownsDir: boolean;
  /** Fixed port, or undefined to pick free ports (retrying on bind races). */
  port?: number;
  /** Builds the argv for a port. */
  argv: (port: number, logFile: string) => string[];
  /** For error messages and diagnostics, e.g. "redis-server". */
  label: string;
  /** How long to wait for PONG. */
  startTimeoutMs: number;
}

/** Internal: spawns a redis process and resolves once it answers PING; retries bind races on auto ports. */
export async function spawnRedis(options: SpawnRedisOptions): Promise<RedisProcessHandle> {
  const binary = findRedisServer();
  mkdirSync(options.dir, { recursive: true });
  const attempts = options.port === undefined ? 5 : 1;
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port ?? (await getFreePort(LOOPBACK));
    const logFile = join(options.dir, `redis-${port}.log`);
    const child = spawn(binary, options.argv(port, logFile), { cwd: options.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.on('error', () => undefined);
    const server = new RedisChild(child, port, options.dir, options.ownsDir, logFile, `${options.label} :${port}`);
    const deadline = Date.now() + options.startTimeoutMs;
    while (server.running && Date.now() < deadline) {
      try {
        if ((await redisCommand(port, ['PING'], { timeoutMs: 1000 })) === 'PONG') return server;
      } catch (error) {
        // not listening yet (or still loading); NOAUTH: it is up and wants a password (ACL users)
        if (/^NOAUTH\b/.test((error as Error).message)) return server;
      }
      if (server.running) await sleep(25);
    }
    const running = server.running;
    if (!running) await sleep(100); // let the last stderr lines arrive
    const tail = server.logTail();
    await server.stop();
    lastError = new LocalRuntimeError(
      'PROCESS_FAILED',
      running
        ? `${options.label} on port ${port} did not answer PING within ${options.startTimeoutMs} ms; log:\n${tail}`
        : `${options.label} on port ${port} exited (${server.exitDescription}) before answering PING:\n${tail}`,
    );
    if (!/address already in use/i.test(tail)) break;
  }
  throw lastError ?? new LocalRuntimeError('PROCESS_FAILED', `${options.label} could not start`);
}

/** The arguments every data node gets (demo-tuned, loopback only, no persistence). */
export function dataNodeArgs(port: number, dir: string, logFile: string, replicaOf?: { host: string; port: number }): string[] {
  return [
    '--port', String(port),
    '--bind', LOOPBACK,
    '--dir', dir,
    '--logfile', logFile,
    '--daemonize', 'no',
    '--protected-mode', 'no',
    '--save', '',
    '--appendonly', 'no',
    '--replica-announce-ip', LOOPBACK,
    '--repl-diskless-sync', 'yes',
    '--repl-diskless-sync-delay', '0',
    '--repl-ping-replica-period', '1',
    ...(replicaOf ? ['--replicaof', replicaOf.host, String(replicaOf.port)] : []),
  ];
}

/** Validates the options of {@link startRedisServer}; throws naming the bad value. */
function validateServerOptions(options: unknown): StartRedisServerOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidRuntimeOptionsError(`startRedisServer.options must be an object; got ${show(options)}`);
  }
  const o = options as StartRedisServerOptions;
  if (o.port !== undefined) assertPort('startRedisServer.port', o.port);
  if (o.args !== undefined && (!Array.isArray(o.args) || o.args.some((a) => typeof a !== 'string'))) {
    throw new InvalidRuntimeOptionsError(`startRedisServer.args must be an array of strings; got ${show(o.args)}`);
  }
  if (o.args?.some((arg) => /^--?port$/i.test(arg))) {
    throw new InvalidRuntimeOptionsError(`startRedisServer.args must not set the port (use options.port, so 6379 can be refused); got ${show(o.args)}`);
  }
  if (o.replicaOf !== undefined) {
    const r = o.replicaOf as unknown as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null || typeof r['host'] !== 'string' || r['host'] === '') {
      throw new InvalidRuntimeOptionsError(`startRedisServer.replicaOf must be { host, port }; got ${show(o.replicaOf)}`);
    }
    assertPort('startRedisServer.replicaOf.port', r['port']);
  }
  if (o.startTimeoutMs !== undefined) assertInteger('startRedisServer.startTimeoutMs', o.startTimeoutMs, 100);
  if (o.dir !== undefined && (typeof o.dir !== 'string' || o.dir === '')) {
    throw new InvalidRuntimeOptionsError(`startRedisServer.dir must be a non-empty string; got ${show(o.dir)}`);
  }
  return o;
}

/**
 * Starts a real `redis-server` on a free loopback port (never 6379) in a temp dir, with no
 * persistence (`--save "" --appendonly no`) unless `args` say otherwise, and resolves once it
 * answers PING. Replicas announce 127.0.0.1 so everything stays on loopback. The process is tracked:
 * it is killed when this process exits, even abruptly.
 * @throws RedisServerMissingError when there is no redis-server; LocalRuntimeError PROCESS_FAILED with the log when it cannot start.
 */
export async function startRedisServer(options: StartRedisServerOptions = {}): Promise<RedisProcessHandle> {
  const o = validateServerOptions(options);
  const ownsDir = o.dir === undefined;
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'failsoft-redis-'));
  if (ownsDir) trackDir(dir);
  try {
    return await spawnRedis({
      dir,
      ownsDir,
      port: o.port,
      label: o.replicaOf ? `redis-server (replica of :${o.replicaOf.port})` : 'redis-server',
      startTimeoutMs: o.startTimeoutMs ?? 15_000,
      argv: (port, logFile) => [...dataNodeArgs(port, dir, logFile, o.replicaOf), ...(o.args ?? [])],
    });
  } catch (error) {
    if (ownsDir) {
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
      untrackDir(dir);
    }
    throw error;
  }
}

/** Internal options of {@link startSentinelProcess}. */
export interface SentinelProcessOptions {
  /** Working directory (holds the config the sentinel rewrites). */
  dir: string;
  /** Name the master is monitored under. */
  masterName: string;
  /** The master to monitor. */
  master: { host: string; port: number };
  /** Sentinels that must agree the master is down. */
  quorum: number;
  /** `down-after-milliseconds`. */
  downAfterMs: number;
  /** `failover-timeout`. */
  failoverTimeoutMs: number;
  /** Fixed port (default: a free one). */
  port?: number;
  /** How long to wait for PONG (default 15000). */
  startTimeoutMs?: number;
  /** `requirepass` and the user on the data nodes (an authenticated topology). */
  auth?: TopologyAuth;
  /** Port announced to the other sentinels (default: its own; a relay's port behind a partition relay). */
  announcePort?: number;
  /** More config lines (e.g. `bind-source-addr 127.77.0.4`). */
  extraConfig?: string[];
}

/** Internal: starts a sentinel (redis-server --sentinel) with a config file in `dir`. */
export function startSentinelProcess(options: SentinelProcessOptions): Promise<RedisProcessHandle> {
  return spawnRedis({
    dir: options.dir,
    ownsDir: false,
    port: options.port,
    label: 'redis sentinel',
    startTimeoutMs: options.startTimeoutMs ?? 15_000,
    argv: (port, logFile) => {
      mkdirSync(options.dir, { recursive: true });
      const config = join(options.dir, `sentinel-${port}.conf`);
      writeFileSync(
        config,
        [
          `port ${port}`,
          `bind ${LOOPBACK}`,
          'daemonize no',
          'protected-mode no',
          `dir ${options.dir}`,
          `logfile ${logFile}`,
          `sentinel announce-ip ${LOOPBACK}`,
          `sentinel announce-port ${options.announcePort ?? port}`,
          ...(options.extraConfig ?? []),
          `sentinel monitor ${options.masterName} ${options.master.host} ${options.master.port} ${options.quorum}`,
          `sentinel down-after-milliseconds ${options.masterName} ${options.downAfterMs}`,
          `sentinel failover-timeout ${options.masterName} ${options.failoverTimeoutMs}`,
          `sentinel parallel-syncs ${options.masterName} 1`,
          ...sentinelAuthLines(options.auth, options.masterName),
          '',
        ].join('\n'),
      );
      return [config, '--sentinel'];
    },
  });
}
