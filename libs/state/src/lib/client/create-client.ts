import { Redis, RedisOptions } from 'ioredis';
import { rateLimitedErrorLog } from './error-log';
import {
  RedisClientOptions,
  ResolvedSentinelOptions,
  ResolvedTuning,
  SentinelClientOptions,
  resolveRedisOptions,
  resolveSentinelOptions,
} from './client.options';
import { DurableConnectionPool } from '../durable/durable-connection-pool';
import { StateRedis } from './state-redis';
import { SentinelView, attachSentinelView } from '../durable/sentinel-view';

/** Capped exponential backoff with jitter: base, 2x base, 4x base ... up to max (never gives up). */
export function backoff(baseMs: number, maxMs: number): (attempt: number) => number {
  return (attempt: number) => {
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 20));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  };
}

/**
 * After a failover the old master, once back, is a replica: writes sent to it fail with READONLY.
 * Reconnecting (which asks the sentinels again) and resending the command (return 2) fixes it.
 */
export function reconnectOnReadonly(error: Error): 2 | false {
  return /^READONLY\b/.test(error?.message ?? '') ? 2 : false;
}

/** ioredis options shared by both factories. */
function baseOptions(t: ResolvedTuning): RedisOptions {
  return {
    username: t.username,
    password: t.password,
    db: t.db,
    connectionName: t.connectionName,
    connectTimeout: t.connectTimeoutMs,
    commandTimeout: t.commandTimeoutMs,
    enableOfflineQueue: true, // StateRedis queues its own commands (bounded); ioredis' queue serves `connection` users and resends
    maxRetriesPerRequest: t.maxRetriesPerRequest,
    retryStrategy: backoff(t.retryBaseMs, t.retryMaxMs),
    reconnectOnError: reconnectOnReadonly,
    enableReadyCheck: true,
    autoResendUnfulfilledCommands: true,
    disconnectTimeout: 500,
    keepAlive: 10_000,
    lazyConnect: t.lazyConnect,
  };
}

/**
 * Subscribes to `+switch-master` on every configured sentinel and makes `client` reconnect (to
 * the new master, asked from the sentinels) as soon as a failover of `masterName` is announced.
 * The subscriber connections have error listeners and capped backoff. Returns a stop function.
 */
function watchFailover(client: StateRedis, o: ResolvedSentinelOptions, onError: (error: Error) => void): () => void {
  let lastSwitch = '';
  let lastSwitchAt = 0;
  const subscribers = o.sentinels.map((address) => {
    const sub = new Redis({
      host: address.host,
      port: address.port,
      username: o.sentinelUsername,
      password: o.sentinelPassword,
      connectTimeout: o.connectTimeoutMs,
      retryStrategy: backoff(Math.max(o.retryBaseMs, 100), Math.max(o.retryMaxMs, 1000)),
      maxRetriesPerRequest: null,
      enableReadyCheck: false,
      disconnectTimeout: 100, // its timer is not unref()ed by ioredis: keep it short
      lazyConnect: o.lazyConnect,
    });
    sub.on('error', onError);
    sub.on('message', (_channel: string, message: string) => {
      // "<name> <old-ip> <old-port> <new-ip> <new-port>"
      const [name, , , newHost, newPort] = message.split(' ');
      if (name !== o.masterName) return;
      const target = `${newHost}:${newPort}`;
      const now = Date.now();
      if (target === lastSwitch && now - lastSwitchAt < 10_000) return; // every sentinel announces it
      lastSwitch = target;
      lastSwitchAt = now;
      const remote = client.stream?.remotePort;
      if (o.role === 'master' && remote === Number(newPort) && client.status === 'ready') return;
      client.reconnectAll();
    });
    sub.subscribe('+switch-master').catch(() => undefined); // resubscribed by ioredis on reconnect
    return sub;
  });
  return () => {
    for (const sub of subscribers) sub.disconnect();
  };
}

/**
 * Creates an ioredis client for the master (or a replica) behind Redis Sentinel, with settings that
 * survive failover: it asks the sentinels for the current master on every (re)connect and checks
 * the role it reached; reconnects and resends on READONLY (old master demoted); reconnects with
 * capped, jittered backoff forever; bounds the offline queue (see {@link StateRedis}); times out
 * commands; reacts to `+switch-master` at once (hung masters); and logs connection errors at most
 * once per `errorLogIntervalMs` (no "Unhandled error event" floods). Call `close()` when done.
 * @throws StateOptionsError naming the bad option and value.
 */
export function createSentinelClient(options: SentinelClientOptions): StateRedis {
  const o = resolveSentinelOptions(options);
  const label = `redis ${o.role} "${o.masterName}" via ${o.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`;
  const onError = rateLimitedErrorLog(o.logger, label, o.errorLogIntervalMs);
  const retry = backoff(o.retryBaseMs, o.retryMaxMs);
  const client = new StateRedis(
    new Redis({
      ...baseOptions(o),
      sentinels: o.sentinels.map((s) => ({ host: s.host, port: s.port })),
      name: o.masterName,
      role: o.role,
      sentinelUsername: o.sentinelUsername,
      sentinelPassword: o.sentinelPassword,
      sentinelRetryStrategy: retry,
      sentinelCommandTimeout: Math.min(o.connectTimeoutMs, 1000),
      sentinelMaxConnections: 10,
      updateSentinels: true,
      failoverDetector: false, // replaced by watchFailover (its sentinel connections have no error listener)
    }),
    o.maxOfflineQueue,
  );
  client.on('error', onError);
  if (o.watchFailover) client.onClose(watchFailover(client, o, onError));
  client.once('end', () => void client.close());
  if (o.role === 'master' && o.durableConnections > 0) {
    // the replica-set check of durable writes (rule replicaSet 'sentinel'); lazy: no connection until a durable write
    const view = new SentinelView({ sentinels: o.sentinels, masterName: o.masterName, username: o.sentinelUsername, password: o.sentinelPassword, timeoutMs: Math.min(o.connectTimeoutMs, 1000) });
    attachSentinelView(client, view);
    client.onClose(() => view.shutdown());
  }
  client.useDurablePool(
    new DurableConnectionPool({
      open: () =>
        createSentinelClient({
          ...options,
          connectionName: o.connectionName ? `${o.connectionName}:durable` : undefined,
          watchFailover: false, // the main client's watcher reconnects the pool too
          durableConnections: 0,
          lazyConnect: false,
        }),
      size: o.durableConnections,
      maxWaiting: o.maxOfflineQueue,
      fallback: client,
    }),
  );
  return client;
}

/**
 * Creates an ioredis client for one fixed address (tests, development, single node) with the same
 * hardening as {@link createSentinelClient} minus the sentinel parts.
 * @throws StateOptionsError naming the bad option and value.
 */
export function createRedisClient(options: RedisClientOptions): StateRedis {
  const o = resolveRedisOptions(options);
  const client = new StateRedis(new Redis({ ...baseOptions(o), host: o.host, port: o.port }), o.maxOfflineQueue);
  client.on('error', rateLimitedErrorLog(o.logger, `redis ${o.host}:${o.port}`, o.errorLogIntervalMs));
  client.useDurablePool(
    new DurableConnectionPool({
      open: () => createRedisClient({ ...options, connectionName: o.connectionName ? `${o.connectionName}:durable` : undefined, durableConnections: 0, lazyConnect: false }),
      size: o.durableConnections,
      maxWaiting: o.maxOfflineQueue,
      fallback: client,
    }),
  );
  return client;
}
