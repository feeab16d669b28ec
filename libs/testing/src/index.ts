/**
 * @failsoft/testing — harnesses for specs, benches and e2e suites only (lint forbids non-test code
 * from importing it): helpers to run TypeScript fixtures as real processes and watch their output,
 * a Redis MONITOR tap, and, for convenience, the real-process pieces of @failsoft/local-runtime
 * (Sentinel topologies on free ports, one-shot Redis commands, waitUntil) re-exported as they are.
 */
export { spawnTsNode, waitForOutput, killAndWait, outputOf } from './lib/process-helpers';
export type { ExitInfo } from './lib/process-helpers';
export { monitorRedis, type RedisMonitor } from './lib/redis-monitor';
export { RawGrpcClient } from './lib/raw-grpc-client';
export {
  getFreePort,
  RESERVED_REDIS_PORT,
  RESERVED_SENTINEL_PORT,
  findRedisServer,
  startRedisServer,
  startSentinelTopology,
  waitUntil,
  sleep,
  redisCommand,
  parseInfo,
  pairsToMap,
  RedisReplyError,
  ownedPids,
  isProcessAlive,
  workspaceRoot,
  LocalRuntimeError,
  isLocalRuntimeError,
  RedisServerMissingError,
  isRedisServerMissingError,
  InvalidRuntimeOptionsError,
  isInvalidRuntimeOptionsError,
  WaitTimeoutError,
  isWaitTimeoutError,
  startPartitionedTopology,
  PartitionNetwork,
  CLIENTS,
  testTopologyAuth,
} from '@failsoft/local-runtime';
export type { TopologyAuth, PartitionedTopology, PartitionedNode, RedisServerHandle, RedisProcessHandle, StartRedisServerOptions, SentinelTopology, SentinelTopologyOptions, Address, WaitUntilOptions, RespValue, RedisCommandOptions } from '@failsoft/local-runtime';
