import type { ChainableCommander, RedisCommander, RedisOptions } from 'ioredis';

/** A listener of connection events (`ready`, `close`, `error`, `message` ...). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- events carry different arguments, as in EventEmitter
export type ConnectionListener = (...args: any[]) => void;

/**
 * What the state library needs of a Redis client: the typed commands, pipelines, the connection
 * status and events. Both a plain ioredis `Redis` and a {@link StateRedis} satisfy it, so durable
 * writes, leases, idempotency keys and scripts take either.
 */
export interface RedisConnection extends RedisCommander {
  /** ioredis' connection status: 'wait', 'connecting', 'connect', 'ready', 'reconnecting', 'end' ... */
  readonly status: string;
  /** The ioredis options of the connection (`commandTimeout` ...). */
  readonly options: RedisOptions;
  /** Connects (when created with `lazyConnect`). */
  connect(): Promise<void>;
  /** A pipeline: commands chain, `exec()` sends them together. */
  pipeline(commands?: unknown[][]): ChainableCommander;
  /**
   * Optional: a pipeline built on the live connection when connected, sent exactly as `pipeline()`'s
   * (see `StateRedis.livePipeline`); used by durable writes when present.
   */
  livePipeline?(): ChainableCommander;
  /** A MULTI/EXEC transaction built like a pipeline. */
  multi(commands?: unknown[][]): ChainableCommander;
  on(event: string | symbol, listener: ConnectionListener): this;
  once(event: string | symbol, listener: ConnectionListener): this;
  off(event: string | symbol, listener: ConnectionListener): this;
}

/** True when `value` looks like a Redis client (commands, pipelines, events). */
export function isRedisConnection(value: unknown): value is RedisConnection {
  const v = value as Record<string, unknown> | null;
  return typeof v === 'object' && v !== null && typeof v['pipeline'] === 'function' && typeof v['call'] === 'function' && typeof v['on'] === 'function';
}
