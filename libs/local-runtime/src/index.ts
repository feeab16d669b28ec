/**
 * @failsoft/local-runtime — real local processes for the platform runner (`failsoft up`) and the
 * test harnesses: free ports, a supervisor that restarts crashed children, Redis servers and
 * Sentinel topologies started from the `redis-server` binary, one-shot Redis commands, and the
 * registry that kills every child this process started when it ends (even abruptly).
 */
export { getFreePort, isPortFree, RESERVED_REDIS_PORT, RESERVED_SENTINEL_PORT } from './lib/free-port';
export { findRedisServer, startRedisServer } from './lib/redis-server';
export type { RedisServerHandle, RedisProcessHandle, StartRedisServerOptions } from './lib/redis-server';
export { startSentinelTopology } from './lib/sentinel-topology';
export type { SentinelTopology, SentinelTopologyOptions, Address } from './lib/sentinel-topology';
export type { TopologyAuth } from './lib/topology-auth';
export { topologyAclLines, writeTopologyAcl, testTopologyAuth } from './lib/topology-auth';
export { PartitionNetwork, CLIENTS } from './lib/partition-network';
export type { CutMode, PartitionNetworkOptions } from './lib/partition-network';
export { findSocketOwners } from './lib/socket-owner';
export type { ClientProcess, LoopbackPeer } from './lib/socket-owner';
export { startPartitionedTopology } from './lib/partitioned-topology';
export type { PartitionedTopology, PartitionedTopologyOptions, PartitionedNode } from './lib/partitioned-topology';
export { Supervisor, backoffDelay, describeExit, tailFile, CONFIG_ERROR_EXIT_CODE } from './lib/supervisor';
export type { ProcessSpec, SupervisorOptions, ProcessState, ProcessStatus, ExitDescription, SupervisorEvents } from './lib/supervisor';
export { waitUntil, sleep } from './lib/wait-until';
export type { WaitUntilOptions } from './lib/wait-until';
export { redisCommand, parseInfo, pairsToMap, RedisReplyError } from './lib/redis-command';
export type { RespValue, RedisCommandOptions } from './lib/redis-command';
export { ownedPids, isProcessAlive, trackPid, untrackPid } from './lib/process-registry';
export { isPaused, commandLine } from './lib/process-info';
export { workspaceRoot } from './lib/workspace-root';
export {
  LocalRuntimeError,
  isLocalRuntimeError,
  RedisServerMissingError,
  isRedisServerMissingError,
  InvalidRuntimeOptionsError,
  isInvalidRuntimeOptionsError,
  WaitTimeoutError,
  isWaitTimeoutError,
  assertInteger,
  show,
} from './lib/local-runtime.error';
export type { LocalRuntimeErrorCode } from './lib/local-runtime.error';
