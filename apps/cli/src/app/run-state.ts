import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Where the local platform keeps its files, relative to the workspace root. */
export const FAILSOFT_DIR = '.failsoft';

/** Paths of the local platform's files. */
export interface FailsoftPaths {
  /** `.failsoft/` */
  root: string;
  /** `.failsoft/logs/` (one `<id>.log` per process) */
  logs: string;
  /** `.failsoft/redis/` (the Redis topology's working dirs while it runs) */
  redis: string;
  /** `.failsoft/run-state.json` */
  runState: string;
  /** `.failsoft/secrets.json` (FAILSOFT_TOKEN and AUTH_SECRET, reused across runs) */
  secrets: string;
  /** `.failsoft/haproxy.cfg` (generated on every start) */
  haproxyConfig: string;
}

/**
 * Environment variable naming another folder than `<workspace>/.failsoft` for the platform's files
 * (e.g. a test suite or a benchmark running its own platform beside a developer's `npm start`).
 */
export const STATE_DIR_ENV = 'FAILSOFT_STATE_DIR';

/** The folder of the platform's files: `stateDir` when given, else `<workspace>/.failsoft`. */
export function failsoftRoot(workspace: string, stateDir?: string): string {
  return stateDir && stateDir.trim() !== '' ? resolve(workspace, stateDir) : join(workspace, FAILSOFT_DIR);
}

/** The paths under `workspace` (or under `stateDir`, see {@link STATE_DIR_ENV}). */
export function failsoftPaths(workspace: string, stateDir?: string): FailsoftPaths {
  const root = failsoftRoot(workspace, stateDir);
  return {
    root,
    logs: join(root, 'logs'),
    redis: join(root, 'redis'),
    runState: join(root, 'run-state.json'),
    secrets: join(root, 'secrets.json'),
    haproxyConfig: join(root, 'haproxy.cfg'),
  };
}

/** A path relative to the workspace, for messages (`.failsoft/logs/likes-1.log`). */
export function shortPath(workspace: string, path: string): string {
  const rel = relative(workspace, path);
  return rel.startsWith('..') ? path : rel;
}

/** A host:port with the pid serving it. */
export interface RedisNodeState {
  host: string;
  port: number;
  pid: number;
  running: boolean;
}

/** One supervised service instance in the run-state file. */
export interface ProcessState {
  id: string;
  service: string;
  pid: number | null;
  httpPort: number;
  grpcPort: number | null;
  zone: string;
  /** `http://127.0.0.1:<httpPort>` */
  url: string;
  /** Relative to the workspace. */
  logFile: string;
  /** running | backoff | failed | stopping | stopped */
  state: string;
  restarts: number;
}

/** The local Prometheus in the run-state file. */
export interface PrometheusState {
  /** `http://127.0.0.1:<port>` */
  url: string;
  pid: number | null;
  /** Its folder (config, targets, data), relative to the workspace (`.failsoft/prometheus`). */
  dir: string;
}

/** `.failsoft/run-state.json`: what `failsoft up` started, for the other commands (status, kill, ...). */
export interface RunState {
  version: 1;
  /** Pid of the `failsoft up` process that owns everything below. */
  cliPid: number;
  workspace: string;
  startedAt: string;
  /** Set once every instance and the front door were ready. */
  readyAt: string | null;
  /** Set on a clean stop. */
  stoppedAt: string | null;
  frontDoor: {
    url: string;
    /** `haproxy`, or `direct` (no proxy installed: the first gateway's URL, no failover between gateways). */
    kind: 'haproxy' | 'direct' | 'pending';
    port: number | null;
    pid: number | null;
    /** HAProxy's stats page (of the first process). */
    statsUrl: string | null;
    config: string | null;
    /** The HAProxy processes sharing the port (active-active, SO_REUSEPORT): each with its own stats page and config. */
    instances?: Array<{ id: string; pid: number | null; statsUrl: string; config: string }>;
  };
  redis: {
    masterName: string;
    /** The master as the sentinels last agreed. */
    master: { host: string; port: number } | null;
    /** Data nodes (master included) as started or restarted. */
    servers: RedisNodeState[];
    replicas: Array<{ host: string; port: number }>;
    sentinels: RedisNodeState[];
    dir: string | null;
  };
  processes: ProcessState[];
  /**
   * The control channel of the running platform (chaos commands, the console): loopback HTTP and
   * its bearer token (the file is written with mode 0600 for this). Absent before it started.
   */
  control?: { url: string; token: string };
  /**
   * The local Prometheus, once started (absent when it does not run, and in files of older
   * versions): its URL, the pid of its current process (null while it is not running) and its
   * folder (relative to the workspace), whose `prometheus.yml` its command line names.
   */
  prometheus?: PrometheusState;
  /** Relative to the workspace. */
  secretsFile: string;
  logsDir: string;
}

/**
 * Writes the run-state atomically (temp file + rename), so readers never see half a file; mode
 * 0600 (it holds the control channel's token).
 */
export function writeRunState(file: string, state: RunState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600); // an older temp file may have had another mode
  renameSync(tmp, file);
}

/** Reads the run-state; undefined when there is none. @throws Error naming the file when it is not valid JSON. */
export function readRunState(file: string): RunState | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${(error as Error).message}); delete it and start again`);
  }
  const state = parsed as Partial<RunState> | null;
  if (!state || state.version !== 1 || !Array.isArray(state.processes)) throw new Error(`${file} is not a failsoft run-state file (version 1); delete it and start again`);
  return state as RunState;
}
