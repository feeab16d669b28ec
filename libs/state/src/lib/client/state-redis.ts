import { Command, Redis, RedisOptions } from 'ioredis';
import { OfflineQueueFullError } from './offline-queue-full.error';

/** Commands ioredis itself sends while connecting; never rejected by the offline-queue bound. */
const HANDSHAKE = new Set(['auth', 'select', 'client', 'readonly', 'info', 'hello', 'ping', 'role']);

/** The part of ioredis internals the bound reads (stable across ioredis 4 and 5). */
interface OfflineQueueView {
  offlineQueue: { length: number };
}

/**
 * An ioredis `Redis` with a BOUNDED offline queue and a graceful `close()`.
 *
 * ioredis queues every command issued while disconnected, without limit. `StateRedis` admits a
 * command into that queue only while it holds fewer than `maxOfflineQueue` commands; beyond that
 * the command fails at once with {@link OfflineQueueFullError}. A pipeline (or MULTI) is admitted or
 * rejected as a whole, so a transaction is never half-queued (the bound may thus be exceeded by the
 * rest of one pipeline). Queued commands are also bounded in time by `commandTimeout` and
 * `maxRetriesPerRequest`. Memory stays bounded during an outage and callers fail fast.
 */
export class StateRedis extends Redis {
  private readonly pipelineAdmission = new WeakMap<object, boolean>();
  private siblingFactory: (() => StateRedis) | undefined;
  private poolSize = 0;
  private readonly pool: StateRedis[] = [];
  private readonly idle: StateRedis[] = [];
  private readonly poolWaiters: Array<(connection: StateRedis) => void> = [];
  private readonly cleanups: Array<() => void> = [];
  private closedConnections = 0;
  private closing: Promise<void> | undefined;

  /**
   * @param options ioredis options (built by createSentinelClient / createRedisClient).
   * @param maxOfflineQueue most commands queued while disconnected (0 = none: fail fast).
   */
  constructor(
    options: RedisOptions,
    readonly maxOfflineQueue: number,
  ) {
    super(options);
    this.on('close', () => {
      this.closedConnections++;
    });
  }

  /**
   * Increases every time a connection closes. Two equal readings around a sequence of commands
   * prove they all ran on the same connection (used by durable writes: a `WAIT` on a new
   * connection would not cover a write sent on the old one).
   */
  get connectionGeneration(): number {
    return this.closedConnections;
  }

  /** Commands currently waiting in the offline queue. */
  get offlineQueueLength(): number {
    return (this as unknown as OfflineQueueView).offlineQueue.length;
  }

  /** @inheritdoc Applies the offline-queue bound before handing the command to ioredis. */
  override sendCommand(command: Command, stream?: Parameters<Redis['sendCommand']>[1]): unknown {
    const handshake = this.status === 'connect' && HANDSHAKE.has(command.name.toLowerCase());
    if (this.status !== 'ready' && this.status !== 'end' && !handshake) {
      const room = this.offlineQueueLength < this.maxOfflineQueue;
      let admit = room;
      if (stream && typeof stream === 'object' && (stream as { isPipeline?: boolean }).isPipeline) {
        admit = this.pipelineAdmission.get(stream) ?? room;
        this.pipelineAdmission.set(stream, admit);
      }
      if (!admit) {
        command.reject(new OfflineQueueFullError(this.maxOfflineQueue, command.name));
        return command.promise;
      }
    }
    return super.sendCommand(command, stream);
  }

  /**
   * Sets how the dedicated durable-write connections are made (by the client factories).
   * @param factory creates one more connection to the same place; @param size pool size (0 = none).
   */
  useDurablePool(factory: () => StateRedis, size: number): void {
    this.siblingFactory = factory;
    this.poolSize = size;
  }

  /** The durable-write connections opened so far. */
  get durableConnections(): readonly StateRedis[] {
    return this.pool;
  }

  /**
   * Borrows a connection for ONE durable write (write + WAIT), opening up to the pool size; waits
   * for one to be returned when all are busy. Without a pool, returns this client itself.
   * @throws OfflineQueueFullError when more than maxOfflineQueue writes already wait.
   */
  acquireDurableConnection(): Promise<StateRedis> {
    if (!this.siblingFactory || this.poolSize === 0) return Promise.resolve(this);
    const idle = this.idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.pool.length < this.poolSize) {
      const connection = this.siblingFactory();
      this.pool.push(connection);
      return Promise.resolve(connection);
    }
    if (this.poolWaiters.length >= Math.max(1, this.maxOfflineQueue)) {
      return Promise.reject(new OfflineQueueFullError(this.maxOfflineQueue, 'durable write'));
    }
    return new Promise((resolve) => this.poolWaiters.push(resolve));
  }

  /** Returns a connection borrowed with {@link acquireDurableConnection}. */
  releaseDurableConnection(connection: StateRedis): void {
    if (connection === this) return;
    const waiter = this.poolWaiters.shift();
    if (waiter) waiter(connection);
    else this.idle.push(connection);
  }

  /** Drops the current connection(s) and reconnects (used when a failover is announced). */
  reconnectAll(): void {
    for (const connection of [this, ...this.pool]) {
      // A connection in 'connecting' is asking the sentinels for the master right now, so it reaches
      // the new one anyway. Disconnecting it there makes ioredis' SentinelConnector throw
      // "Connection is closed." and Redis.connect() then sets status 'end' FOR GOOD (no reconnect:
      // every later command fails). 'end' and 'wait' have no connection to drop.
      if (connection.status === 'connecting' || connection.status === 'end' || connection.status === 'wait') continue;
      connection.disconnect(true);
    }
  }

  /** Registers work to do on close (e.g. stopping the failover watcher). */
  onClose(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  /**
   * Closes the client: runs the close hooks, sends QUIT when connected, then disconnects without
   * reconnecting and resolves once the connection has ended (all bounded by `timeoutMs`, default
   * 1000). Idempotent. (Named `close`, not
   * `shutdown`: `shutdown()` is ioredis' binding of the Redis SHUTDOWN command, which stops the
   * SERVER.)
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
      await Promise.all(this.pool.map((connection) => connection.close(timeoutMs)));
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      });
      if (this.status === 'ready') await Promise.race([this.quit().catch(() => undefined), deadline]);
      if (this.status !== 'end') {
        const ended = new Promise<void>((resolve) => this.once('end', () => resolve()));
        this.disconnect(false);
        await Promise.race([ended, deadline]);
      }
      clearTimeout(timer);
    })();
    return this.closing;
  }
}
