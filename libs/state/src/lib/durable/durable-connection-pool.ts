import type { RedisConnection } from '../client/redis-connection';
import { OfflineQueueFullError } from '../client/offline-queue-full.error';
import { connectionGeneration, type DurableConnectionSource } from './connection-source';

/** Options of a {@link DurableConnectionPool}. */
export interface DurableConnectionPoolOptions {
  /** Opens one more connection to the same place (a client of its own, with an `error` listener). */
  readonly open: () => RedisConnection;
  /** Most connections (0 = none: writes run on `fallback`). */
  readonly size: number;
  /** Most writes waiting for their batch (group commit); more fail at once with OfflineQueueFullError (at least 1). */
  readonly maxWaiting: number;
  /** The client writes run on when `size` is 0. */
  readonly fallback: RedisConnection;
}

/**
 * The dedicated durable-write connections of one client: opened on demand up to `size`, one
 * batch of writes (group commit: one WAIT) in flight per connection, because WAIT blocks the
 * connection it runs on; writes wait for a connection when all are busy. Owns its connections.
 */
export class DurableConnectionPool implements DurableConnectionSource {
  readonly waitForReady = true;
  private readonly opened: RedisConnection[] = [];
  private readonly idle: RedisConnection[] = [];
  private readonly waiters: Array<(connection: RedisConnection) => void> = [];

  /** @param options how to open connections, how many, and the bound of waiting writes. */
  constructor(private readonly options: DurableConnectionPoolOptions) {}

  /** The connections opened so far. */
  get connections(): readonly RedisConnection[] {
    return this.opened;
  }

  /** The bound of writes waiting for their batch (`maxWaiting`, at least 1). */
  get maxWaiting(): number {
    return Math.max(1, this.options.maxWaiting);
  }

  get commandTimeoutMs(): number | undefined {
    return this.options.fallback.options.commandTimeout;
  }

  /** @throws OfflineQueueFullError when more than `maxWaiting` writes already wait. */
  acquire(): Promise<RedisConnection> {
    const { size, maxWaiting, fallback, open } = this.options;
    if (size === 0) return Promise.resolve(fallback);
    const idle = this.idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.opened.length < size) {
      const connection = open();
      connectionGeneration(connection);
      this.opened.push(connection);
      return Promise.resolve(connection);
    }
    if (this.waiters.length >= Math.max(1, maxWaiting)) return Promise.reject(new OfflineQueueFullError(maxWaiting, 'durable write'));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(connection: RedisConnection): void {
    if (connection === this.options.fallback) return;
    const waiter = this.waiters.shift();
    if (waiter) waiter(connection);
    else this.idle.push(connection);
  }
}
