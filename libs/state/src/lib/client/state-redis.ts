import type { ChainableCommander, Redis, RedisCommander, RedisOptions } from 'ioredis';
import { attachDurableConnections } from '../durable/connection-source';
import type { DurableConnectionPool } from '../durable/durable-connection-pool';
import { BoundedOfflineQueue } from './offline-queue';
import { closeConnection } from './close-connection';
import { FORWARDED_COMMANDS, splitCallback, withCallback } from './redis-commands';
import type { ConnectionListener, RedisConnection } from './redis-connection';
import { type PipelineResult, type PipelineRunner, type RecordedPipeline, recordPipeline } from './state-pipeline';

/** ioredis' message when its retries per request are used up (kept so callers see the same error). */
function maxRetriesError(limit: number): Error {
  const error = new Error(`Reached the max retries per request limit (which is ${limit}). Refer to "maxRetriesPerRequest" option for details.`);
  error.name = 'MaxRetriesPerRequestError';
  return error;
}

// The typed Redis commands (get, set, xadd, call ...), installed below from ioredis' public command list.
// eslint-disable-next-line @typescript-eslint/no-empty-interface, @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface StateRedis extends RedisCommander {}

/**
 * A Redis client with a BOUNDED offline queue and a graceful `close()`: a facade that wraps (and
 * owns) an ioredis client, using its public API only.
 *
 * Every command method of ioredis (`get`, `set`, `xadd`, `call` ... and their `…Buffer` forms) is
 * here. While the connection is ready a command goes straight to ioredis. While it is not, the
 * command waits in this client's own queue (in order) until the connection is ready, as long as
 * fewer than `maxOfflineQueue` commands wait; beyond that it fails at once with
 * {@link OfflineQueueFullError}. A pipeline (or MULTI) is recorded and admitted or rejected as a
 * whole, so a transaction is never half-queued (the bound may thus be exceeded by the rest of one
 * pipeline). Waiting commands are also bounded in time: `commandTimeout`, and they fail like
 * ioredis' own queue after `maxRetriesPerRequest` reconnection attempts. Memory stays bounded
 * during an outage and callers fail fast.
 *
 * `connection` is the wrapped ioredis client, for libraries that need one (e.g. the sidecar's
 * discovery): its commands bypass this queue and use ioredis' own (unbounded in count, bounded in
 * time by the same settings).
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class StateRedis implements RedisConnection, PipelineRunner {
  private readonly queue: BoundedOfflineQueue;
  private durablePool: DurableConnectionPool | undefined;
  private readonly cleanups: Array<() => void> = [];
  private closedConnections = 0;
  private reconnections = 0;
  private closing: Promise<void> | undefined;

  /**
   * @param connection the ioredis client to wrap, with `enableOfflineQueue` (built by
   *   createSentinelClient / createRedisClient); owned: `close()` closes it.
   * @param maxOfflineQueue most commands queued while disconnected (0 = none: fail fast).
   */
  constructor(
    readonly connection: Redis,
    readonly maxOfflineQueue: number,
  ) {
    this.queue = new BoundedOfflineQueue(maxOfflineQueue, connection.options.commandTimeout);
    connection.on('close', () => this.closedConnections++);
    connection.on('ready', () => {
      this.reconnections = 0;
      this.queue.flush();
    });
    connection.on('reconnecting', () => this.onReconnecting());
    connection.on('end', () => this.queue.rejectAll(new Error('Connection is closed.')));
  }

  /** ioredis' connection status ('wait', 'connecting', 'connect', 'ready', 'reconnecting', 'end' ...). */
  get status(): Redis['status'] {
    return this.connection.status;
  }

  /** The ioredis options of the wrapped connection. */
  get options(): RedisOptions {
    return this.connection.options;
  }

  /** The socket of the current connection. */
  get stream(): Redis['stream'] {
    return this.connection.stream;
  }

  /**
   * Increases every time a connection closes. Two equal readings around a sequence of commands
   * prove they all ran on the same connection (used by durable writes: a `WAIT` on a new
   * connection would not cover a write sent on the old one).
   */
  get connectionGeneration(): number {
    return this.closedConnections;
  }

  /** Commands currently waiting in the offline queue (a pipeline counts its commands). */
  get offlineQueueLength(): number {
    return this.queue.length;
  }

  /** A pipeline: commands chain, `exec()` sends them together (queued or rejected as a whole while disconnected). */
  pipeline(commands?: unknown[][]): ChainableCommander {
    return recordPipeline(this, false, checkCommands('pipeline', commands));
  }

  /**
   * A pipeline sent as `pipeline()`'s would be, built straight on the live connection when it is
   * connected (`pipeline()` records the commands, then replays them on that same connection at
   * `exec()`); a recorded one otherwise. Durable writes build one per group commit: it saves
   * recording every write twice. Call `exec()` in the same event-loop turn.
   */
  livePipeline(): ChainableCommander {
    return this.connected ? this.connection.pipeline() : this.pipeline();
  }

  /** A MULTI/EXEC transaction built like a pipeline (queued or rejected as a whole while disconnected). */
  multi(commands?: unknown[][]): ChainableCommander {
    return recordPipeline(this, true, checkCommands('multi', commands));
  }

  /** @internal Sends a recorded pipeline (by its `exec()`). */
  runPipeline(pipeline: RecordedPipeline): Promise<PipelineResult> {
    if (this.connected) return pipeline.replayOn(this.connection);
    return this.admit(pipeline.transaction ? 'multi' : 'pipeline', Math.max(1, pipeline.length), () => pipeline.replayOn(this.connection));
  }

  /** Connects (when created with `lazyConnect`). */
  connect(): Promise<void> {
    return this.connection.connect();
  }

  /** Drops the connection; with `reconnect` true it reconnects (as ioredis' `disconnect`). */
  disconnect(reconnect = false): void {
    this.connection.disconnect(reconnect);
  }

  /** A new plain ioredis client with the same options (e.g. for SUBSCRIBE); the caller owns it. */
  duplicate(override?: Partial<RedisOptions>): Redis {
    return this.connection.duplicate(override);
  }

  on(event: string | symbol, listener: ConnectionListener): this {
    this.connection.on(event, listener);
    return this;
  }

  once(event: string | symbol, listener: ConnectionListener): this {
    this.connection.once(event, listener);
    return this;
  }

  off(event: string | symbol, listener: ConnectionListener): this {
    this.connection.off(event, listener);
    return this;
  }

  removeListener(event: string | symbol, listener: ConnectionListener): this {
    return this.off(event, listener);
  }

  /** Listeners of `event` on the wrapped connection. */
  listenerCount(event: string | symbol): number {
    return this.connection.listenerCount(event);
  }

  /**
   * Sets the dedicated durable-write connections of this client (by the client factories); they
   * are reconnected and closed with it. Durable writes find them with `durableConnectionsOf(client)`.
   */
  useDurablePool(pool: DurableConnectionPool): void {
    this.durablePool = pool;
    attachDurableConnections(this, pool);
  }

  /** The durable-write connections opened so far. */
  get durableConnections(): readonly StateRedis[] {
    return (this.durablePool?.connections ?? []) as readonly StateRedis[];
  }

  /** Drops the current connection(s) and reconnects (used when a failover is announced). */
  reconnectAll(): void {
    for (const client of [this, ...this.durableConnections]) {
      // A connection in 'connecting' is asking the sentinels for the master right now, so it reaches
      // the new one anyway. Disconnecting it there makes ioredis' SentinelConnector throw
      // "Connection is closed." and Redis.connect() then sets status 'end' FOR GOOD (no reconnect:
      // every later command fails). 'end' and 'wait' have no connection to drop.
      if (client.status === 'connecting' || client.status === 'end' || client.status === 'wait') continue;
      client.disconnect(true);
    }
  }

  /** Registers work to do on close (e.g. stopping the failover watcher). */
  onClose(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  /**
   * Closes the client: runs the close hooks, closes the durable connections, sends QUIT when
   * connected, then disconnects without reconnecting and resolves once the connection has ended
   * (all bounded by `timeoutMs`, default 1000). Commands still queued fail with "Connection is
   * closed.". Idempotent. (Named `close`, not `shutdown`: `shutdown()` is the Redis SHUTDOWN
   * command, which stops the SERVER.)
   */
  close(timeoutMs = 1000): Promise<void> {
    this.closing ??= (async () => {
      for (const cleanup of this.cleanups.splice(0)) {
        try {
          cleanup();
        } catch {
          // keep closing
        }
      }
      await Promise.all(this.durableConnections.map((connection) => connection.close(timeoutMs)));
      await closeConnection(this.connection, timeoutMs);
    })();
    return this.closing;
  }

  /** @internal Sends one command: at once when connected, else through the offline queue. */
  send(name: string, input: unknown[]): Promise<unknown> {
    const target = this.connection as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    // QUIT while disconnected: ioredis just ends the connection
    if (this.connected || name === 'quit') return target[name](...input);
    const [args, callback] = splitCallback(input);
    return withCallback(
      this.admit(name, 1, () => target[name](...args)),
      callback,
    );
  }

  /** Ready (sent at once) or ended (ioredis rejects with "Connection is closed."): no queueing. */
  private get connected(): boolean {
    const status = this.connection.status;
    return status === 'ready' || status === 'end';
  }

  private admit<T>(name: string, size: number, send: () => Promise<T>): Promise<T> {
    if (this.connection.status === 'wait') this.connection.connect().catch(() => undefined); // lazyConnect: the first command connects
    return this.queue.admit(name, size, send);
  }

  /** As ioredis does with its own queue: fail what waits after every `maxRetriesPerRequest + 1` attempts. */
  private onReconnecting(): void {
    this.reconnections++;
    const limit = this.connection.options.maxRetriesPerRequest;
    if (typeof limit === 'number' && limit >= 0 && this.reconnections % (limit + 1) === 0) this.queue.rejectAll(maxRetriesError(limit));
  }
}

/** Rejects ioredis' `multi({ pipeline: false })` form (MULTI sent at once), which a queued client cannot offer. */
function checkCommands(method: string, commands: unknown): unknown[][] | undefined {
  if (commands === undefined || Array.isArray(commands)) return commands as unknown[][] | undefined;
  throw new TypeError(`StateRedis.${method}() takes an optional list of commands; got ${JSON.stringify(commands)} (multi({ pipeline: false }) is not supported)`);
}

for (const name of FORWARDED_COMMANDS) {
  if (name in StateRedis.prototype) continue;
  Object.defineProperty(StateRedis.prototype, name, {
    configurable: true,
    writable: true,
    value: function forward(this: StateRedis, ...args: unknown[]): Promise<unknown> {
      return this.send(name, args);
    },
  });
}
