/**
 * @failsoft/testing — harnesses for integration tests: a real Redis Sentinel topology on free
 * loopback ports, and helpers to run, watch and kill real processes. Jest-free on purpose, so the
 * local platform runner can reuse them.
 */
export { getFreePort, RESERVED_REDIS_PORT, RESERVED_SENTINEL_PORT } from './lib/free-port';
export { findRedisServer, startRedisServer } from './lib/redis-server';
export type { RedisServerHandle, RedisProcessHandle, StartRedisServerOptions } from './lib/redis-server';
export { startSentinelTopology } from './lib/sentinel-topology';
export type { SentinelTopology, SentinelTopologyOptions, Address } from './lib/sentinel-topology';
export { spawnTsNode, waitForOutput, killAndWait, outputOf, workspaceRoot } from './lib/process-helpers';
export type { ExitInfo } from './lib/process-helpers';
export { waitUntil, sleep } from './lib/wait-until';
export type { WaitUntilOptions } from './lib/wait-until';
export { redisCommand, parseInfo, pairsToMap, RedisReplyError } from './lib/redis-command';
export type { RespValue, RedisCommandOptions } from './lib/redis-command';
export { monitorRedis, type RedisMonitor } from './lib/redis-monitor';
export { ownedPids, isProcessAlive } from './lib/process-registry';
export {
  TestingError,
  isTestingError,
  RedisServerMissingError,
  isRedisServerMissingError,
  InvalidTestingOptionsError,
  isInvalidTestingOptionsError,
  WaitTimeoutError,
  isWaitTimeoutError,
} from './lib/testing.error';
export type { TestingErrorCode } from './lib/testing.error';
