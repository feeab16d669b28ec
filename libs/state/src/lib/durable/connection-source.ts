import type { RedisConnection } from '../client/redis-connection';

/**
 * Where a {@link DurableWriter} gets the connection for one group commit (a batch of writes + one
 * WAIT): WAIT blocks the connection it runs on, so a source may hand out dedicated connections,
 * one batch at a time each. Implemented by {@link DurableConnectionPool} and {@link SingleConnectionSource}.
 */
export interface DurableConnectionSource {
  /** A connection for one batch of writes; give it back with {@link release}. */
  acquire(): Promise<RedisConnection>;
  /** Returns a connection got from {@link acquire}. */
  release(connection: RedisConnection): void;
  /** The connections' `commandTimeout` in ms (WAIT must finish before it), if any. */
  readonly commandTimeoutMs: number | undefined;
  /** True when writes should wait for a connection to be ready rather than queue on it. */
  readonly waitForReady: boolean;
  /** Optional: most writes waiting for their batch; more fail at once with OfflineQueueFullError. Absent = no bound. */
  readonly maxWaiting?: number;
}

/** Counts the closes of connections (public `close` events), to tell whether two commands ran on one connection. */
const generations = new WeakMap<RedisConnection, { closed: number }>();

/**
 * A counter that increases whenever `connection` loses its connection. Two equal readings around a
 * sequence of commands prove they all ran on the same connection (a WAIT on a new connection would
 * not cover a write sent on the old one). A `close` listener is attached on first use.
 */
export function connectionGeneration(connection: RedisConnection): number {
  let state = generations.get(connection);
  if (state === undefined) {
    const fresh = { closed: 0 };
    connection.on('close', () => fresh.closed++);
    generations.set(connection, fresh);
    state = fresh;
  }
  return state.closed;
}

/** The source of a plain ioredis client: every write runs on the client itself. */
export class SingleConnectionSource implements DurableConnectionSource {
  readonly waitForReady = false;

  /** @param client the client writes run on (not owned: never closed here). */
  constructor(private readonly client: RedisConnection) {
    connectionGeneration(client);
  }

  get commandTimeoutMs(): number | undefined {
    return this.client.options.commandTimeout;
  }

  acquire(): Promise<RedisConnection> {
    return Promise.resolve(this.client);
  }

  release(_connection: RedisConnection): void {
    // nothing to give back
  }
}

/** Which source serves the durable writes of a client made by the factories (see `durableConnectionsOf`). */
const sources = new WeakMap<RedisConnection, DurableConnectionSource>();

/** Records that durable writes through `client` use `source` (called by the client factories). */
export function attachDurableConnections(client: RedisConnection, source: DurableConnectionSource): void {
  sources.set(client, source);
}

/**
 * The source durable writes through `client` use: the dedicated pool of a client made by
 * createSentinelClient / createRedisClient, else the client itself.
 */
export function durableConnectionsOf(client: RedisConnection): DurableConnectionSource {
  let source = sources.get(client);
  if (source === undefined) {
    // one source per client, kept: writers on the same client then share their group commits
    source = new SingleConnectionSource(client);
    sources.set(client, source);
  }
  return source;
}
