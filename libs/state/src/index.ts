/**
 * @failsoft/state — Redis behind Sentinel for services that must survive failover:
 * a hardened client factory, durable writes (WAIT), leases with fencing tokens, idempotency keys.
 * Framework-free; the Nest module is in `@failsoft/state/nest` (src/nest.ts).
 *
 * The public API, curated: option validation and resolution helpers stay internal.
 */

// errors: one base (StateError, with a stable code) and a guard per error
export {
  type StateErrorCode,
  StateError,
  isStateError,
  StateOptionsError,
  isStateOptionsError,
  InvalidArgumentError,
  isInvalidArgumentError,
  ShutDownError,
  isShutDownError,
} from './lib/state.error';
export { OfflineQueueFullError, isOfflineQueueFullError } from './lib/client/offline-queue-full.error';
export { type DurabilityFailure, DurabilityError, isDurabilityError } from './lib/durable/durability.error';
export { FencingError, isFencingError, LeaseNotHeldError, isLeaseNotHeldError } from './lib/lease/fencing.error';
export { type IdempotencyErrorCode, IdempotencyError, isIdempotencyError } from './lib/idempotency/idempotency.error';

// the client
export { type StateLogger, stderrLogger } from './lib/client/error-log';
export { type RedisAddress, type ClientTuningOptions, type SentinelClientOptions, type RedisClientOptions, parseSentinels } from './lib/client/client.options';
export { StateRedis } from './lib/client/state-redis';
export { type RedisConnection, type ConnectionListener } from './lib/client/redis-connection';
export { createSentinelClient, createRedisClient } from './lib/client/create-client';

// durable writes
export { type DurableOptions } from './lib/durable/durable.options';
export { type RedisArg, type RedisCommand } from './lib/durable/redis-command';
export { type DurableWriteResult, DurableWriter, durableWrite } from './lib/durable/durable-writer';
export { type DurableConnectionSource, SingleConnectionSource, durableConnectionsOf } from './lib/durable/connection-source';
export { DurableConnectionPool, type DurableConnectionPoolOptions } from './lib/durable/durable-connection-pool';
export { evalScript } from './lib/script';
export { type StateFailureKind, stateFailureKind } from './lib/state-failure';

// leases and fencing
export { type LeaseOptions, leaseKeys } from './lib/lease/lease.options';
export { type FencedWriteOptions, fencedWrite } from './lib/lease/fenced-write';
export { type LeaseTerm, type LeaseLossReason, type LeaseEvents, Lease } from './lib/lease/lease';
export { LeaseManager } from './lib/lease/lease-manager';

// idempotency keys
export { type IdempotencyOptions, type IdempotencyRunOptions, IdempotencyStore } from './lib/idempotency/idempotency-store';
