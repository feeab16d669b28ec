import { StateOptionsError } from '../state.error';
import { assertBoolean, assertInteger, assertKnownKeys, assertObject, assertString, show } from '../validate';
import { StateLogger, stderrLogger } from './error-log';

/** A host/port pair. */
export interface RedisAddress {
  /** Host name or IP. */
  host: string;
  /** TCP port. */
  port: number;
}

/** Tuning shared by sentinel and plain clients. Every field has a failover-friendly default. */
export interface ClientTuningOptions {
  /** ACL user name (Redis 6+). */
  username?: string;
  /** Password of the data nodes. */
  password?: string;
  /** Database index (default 0). */
  db?: number;
  /** `CLIENT SETNAME` of every connection (shows in `CLIENT LIST`). */
  connectionName?: string;
  /** TCP connect timeout per attempt (default 2000 ms). */
  connectTimeoutMs?: number;
  /**
   * Per-command timeout (default 5000 ms). Must exceed the `WAIT` timeout of durable writes. A hung
   * server (SIGSTOP) then fails commands instead of stalling callers forever.
   */
  commandTimeoutMs?: number;
  /** Most commands kept while disconnected (default 1000; 0 = fail fast). See {@link StateRedis}. */
  maxOfflineQueue?: number;
  /**
   * Dedicated connections for durable writes (default 4; 0 = use this connection). A `WAIT` blocks
   * the connection it runs on, so durable writes get their own small pool with ONE write in flight
   * per connection: a slow WAIT (e.g. right after a failover) never stalls the other commands.
   */
  durableConnections?: number;
  /** Reconnect attempts a queued command survives before failing (default 10). */
  maxRetriesPerRequest?: number;
  /** First reconnect delay (default 50 ms); doubles per attempt, with jitter. */
  retryBaseMs?: number;
  /** Cap of the reconnect delay (default 2000 ms). */
  retryMaxMs?: number;
  /** Where connection errors are reported (default: stderr). */
  logger?: StateLogger;
  /** At most one error line per this many ms (default 10000). */
  errorLogIntervalMs?: number;
  /** Do not connect until the first command (default false). */
  lazyConnect?: boolean;
}

/** Options of {@link createSentinelClient}. */
export interface SentinelClientOptions extends ClientTuningOptions {
  /** Addresses of (some of) the sentinels; more are discovered from them. */
  sentinels: ReadonlyArray<RedisAddress>;
  /** The master name the sentinels monitor (`sentinel monitor <name> ...`). */
  masterName: string;
  /** Connect to the master (default) or to a replica (read-only work). */
  role?: 'master' | 'slave';
  /** ACL user name for the sentinels. */
  sentinelUsername?: string;
  /** Password of the sentinels. */
  sentinelPassword?: string;
  /**
   * Subscribe to `+switch-master` on the sentinels and reconnect as soon as a failover is announced
   * (default true). Without it a client connected to a HUNG master (SIGSTOP) keeps a live-looking
   * TCP connection until commands time out.
   */
  watchFailover?: boolean;
}

/** Options of {@link createRedisClient}: one fixed address (tests, dev, single node). */
export interface RedisClientOptions extends ClientTuningOptions {
  /** Host (default 127.0.0.1). */
  host?: string;
  /** Port. */
  port: number;
}

/** Tuning with every default filled in. */
export interface ResolvedTuning {
  username?: string;
  password?: string;
  db: number;
  connectionName?: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  maxOfflineQueue: number;
  durableConnections: number;
  maxRetriesPerRequest: number;
  retryBaseMs: number;
  retryMaxMs: number;
  logger: StateLogger;
  errorLogIntervalMs: number;
  lazyConnect: boolean;
}

const TUNING_KEYS = [
  'username',
  'password',
  'db',
  'connectionName',
  'connectTimeoutMs',
  'commandTimeoutMs',
  'maxOfflineQueue',
  'durableConnections',
  'maxRetriesPerRequest',
  'retryBaseMs',
  'retryMaxMs',
  'logger',
  'errorLogIntervalMs',
  'lazyConnect',
] as const;

/** Validates an optional string option. */
function optionalString(name: string, value: unknown): string | undefined {
  return value === undefined ? undefined : assertString(name, value);
}

/**
 * Checks a user/password pair: both strings when set, no user without a password (an ACL user is
 * never password-less here). Empty strings are refused by optionalString.
 */
function assertCredentials(prefix: string, user: string, password: string, o: Record<string, unknown>): void {
  optionalString(`${prefix}.${user}`, o[user]);
  optionalString(`${prefix}.${password}`, o[password]);
  if (o[user] !== undefined && o[password] === undefined) {
    throw new StateOptionsError(`${prefix}.${user} ${show(o[user])} needs ${prefix}.${password} (ACL users here always have a password); got no ${password}`);
  }
}

/** Validates the tuning part of client options; `prefix` names the options object in messages. */
export function resolveTuning(prefix: string, o: Record<string, unknown>): ResolvedTuning {
  const logger = (o['logger'] ?? stderrLogger) as StateLogger;
  if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function') {
    throw new StateOptionsError(`${prefix}.logger must be an object with a warn(message) method; got ${show(o['logger'])}`);
  }
  const retryBaseMs = assertInteger(`${prefix}.retryBaseMs`, o['retryBaseMs'] ?? 50, 1, 60_000);
  const retryMaxMs = assertInteger(`${prefix}.retryMaxMs`, o['retryMaxMs'] ?? 2000, retryBaseMs, 300_000);
  assertCredentials(prefix, 'username', 'password', o);
  return {
    username: optionalString(`${prefix}.username`, o['username']),
    password: optionalString(`${prefix}.password`, o['password']),
    db: assertInteger(`${prefix}.db`, o['db'] ?? 0, 0, 1000),
    connectionName: optionalString(`${prefix}.connectionName`, o['connectionName']),
    connectTimeoutMs: assertInteger(`${prefix}.connectTimeoutMs`, o['connectTimeoutMs'] ?? 2000, 1),
    commandTimeoutMs: assertInteger(`${prefix}.commandTimeoutMs`, o['commandTimeoutMs'] ?? 5000, 1),
    maxOfflineQueue: assertInteger(`${prefix}.maxOfflineQueue`, o['maxOfflineQueue'] ?? 1000, 0, 10_000_000),
    durableConnections: assertInteger(`${prefix}.durableConnections`, o['durableConnections'] ?? 4, 0, 64),
    maxRetriesPerRequest: assertInteger(`${prefix}.maxRetriesPerRequest`, o['maxRetriesPerRequest'] ?? 10, 0, 1000),
    retryBaseMs,
    retryMaxMs,
    logger,
    errorLogIntervalMs: assertInteger(`${prefix}.errorLogIntervalMs`, o['errorLogIntervalMs'] ?? 10_000, 0),
    lazyConnect: assertBoolean(`${prefix}.lazyConnect`, o['lazyConnect'], false),
  };
}

/** Validates one `{ host, port }`. */
export function resolveAddress(name: string, value: unknown): RedisAddress {
  const o = assertObject(name, value);
  if (value === undefined) throw new StateOptionsError(`${name} must be { host, port }; got undefined`);
  return { host: assertString(`${name}.host`, o['host']), port: assertInteger(`${name}.port`, o['port'], 1, 65535) };
}

/** Fully validated sentinel client options. */
export interface ResolvedSentinelOptions extends ResolvedTuning {
  sentinels: RedisAddress[];
  masterName: string;
  role: 'master' | 'slave';
  sentinelUsername?: string;
  sentinelPassword?: string;
  watchFailover: boolean;
}

/** Validates {@link SentinelClientOptions}; every message names the option and the bad value. */
export function resolveSentinelOptions(options: unknown, prefix = 'sentinelClient'): ResolvedSentinelOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new StateOptionsError(`${prefix} options must be an object; got ${show(options)}`);
  }
  const o = options as Record<string, unknown>;
  assertKnownKeys(prefix, o, [...TUNING_KEYS, 'sentinels', 'masterName', 'role', 'sentinelUsername', 'sentinelPassword', 'watchFailover']);
  const list = o['sentinels'];
  if (!Array.isArray(list) || list.length === 0) {
    throw new StateOptionsError(`${prefix}.sentinels must be a non-empty array of { host, port }; got ${show(list)}`);
  }
  assertCredentials(prefix, 'sentinelUsername', 'sentinelPassword', o);
  const role = o['role'] ?? 'master';
  if (role !== 'master' && role !== 'slave') {
    throw new StateOptionsError(`${prefix}.role must be "master" or "slave"; got ${show(role)}`);
  }
  return {
    ...resolveTuning(prefix, o),
    sentinels: list.map((entry, i) => resolveAddress(`${prefix}.sentinels[${i}]`, entry)),
    masterName: assertString(`${prefix}.masterName`, o['masterName']),
    role,
    sentinelUsername: optionalString(`${prefix}.sentinelUsername`, o['sentinelUsername']),
    sentinelPassword: optionalString(`${prefix}.sentinelPassword`, o['sentinelPassword']),
    watchFailover: assertBoolean(`${prefix}.watchFailover`, o['watchFailover'], true),
  };
}

/** Fully validated plain client options. */
export interface ResolvedRedisOptions extends ResolvedTuning {
  host: string;
  port: number;
}

/** Validates {@link RedisClientOptions}; every message names the option and the bad value. */
export function resolveRedisOptions(options: unknown, prefix = 'redisClient'): ResolvedRedisOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new StateOptionsError(`${prefix} options must be an object; got ${show(options)}`);
  }
  const o = options as Record<string, unknown>;
  assertKnownKeys(prefix, o, [...TUNING_KEYS, 'host', 'port']);
  return {
    ...resolveTuning(prefix, o),
    host: assertString(`${prefix}.host`, o['host'] ?? '127.0.0.1'),
    port: assertInteger(`${prefix}.port`, o['port'], 1, 65535),
  };
}

/**
 * Parses a sentinel list as written in env vars: `"host:port,host:port"` (spaces allowed).
 * @throws StateOptionsError naming the bad entry, e.g. `REDIS_SENTINELS entry 2 must be host:port; got "x"`.
 */
export function parseSentinels(text: string, name = 'REDIS_SENTINELS'): RedisAddress[] {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new StateOptionsError(`${name} must be a comma-separated list of host:port; got ${show(text)}`);
  }
  return text.split(',').map((raw, i) => {
    const entry = raw.trim();
    const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(entry);
    const port = match ? Number(match[2]) : NaN;
    if (!match || port < 1 || port > 65535) {
      throw new StateOptionsError(`${name} entry ${i + 1} must be host:port with a port from 1 to 65535; got ${show(entry)}`);
    }
    return { host: match[1].replace(/^\[|\]$/g, ''), port };
  });
}
