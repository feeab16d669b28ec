/**
 * @failsoft/state — Redis behind Sentinel for services that must survive failover:
 * a hardened client factory, durable writes (WAIT), leases with fencing tokens, idempotency keys.
 * Framework-free; the Nest module is in `@failsoft/state/nest` (src/nest.ts).
 */
export * from './lib/state.error';
export * from './lib/client/error-log';
export * from './lib/client/offline-queue-full.error';
export * from './lib/client/client.options';
export * from './lib/client/state-redis';
export * from './lib/client/create-client';
export * from './lib/durable/durability.error';
export * from './lib/durable/durable.options';
export * from './lib/durable/redis-command';
export * from './lib/durable/durable-writer';
export * from './lib/script';
export * from './lib/lease/fencing.error';
export * from './lib/lease/lease.options';
export * from './lib/lease/fenced-write';
export * from './lib/lease/lease';
export * from './lib/lease/lease-manager';
export * from './lib/idempotency/idempotency.error';
export * from './lib/idempotency/idempotency-store';
