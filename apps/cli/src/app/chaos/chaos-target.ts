import { CONTROL_SIGNALS, type ControlInstance, type ControlRedisNode, type ControlSignal, type ControlStatus } from '@failsoft/contracts';
import type { FaultRule, FaultRuleInput } from '@failsoft/sidecar';

/** Signals the chaos commands send to an instance (the control API's, from @failsoft/contracts). */
export const CHAOS_SIGNALS = CONTROL_SIGNALS;
/** `KILL` (crash), `TERM` (graceful stop, drains) or `STOP` (hang: the process is paused). */
export type ChaosSignal = ControlSignal;

/** One service instance (or the front door) as the chaos commands see it. */
export type ChaosInstance = ControlInstance;

/** One Redis data node or sentinel. */
export type ChaosRedisNode = ControlRedisNode;

/** What `failsoft status` shows (`GET /v1/status` of the control channel). */
export type ChaosStatus = ControlStatus<FaultRule>;

/** Options of {@link ChaosTarget.redisKillNode}. */
export interface RedisKillOptions {
  /** Keep it down (no restart) until {@link ChaosTarget.redisReviveNode}. */
  readonly hold: boolean;
  /** Refuse (CONFLICT) when the node is the master (`failsoft redis kill-replica`). */
  readonly replicaOnly: boolean;
}

/**
 * What chaos can do to a running platform. Three implementations: the in-process {@link Platform}
 * (tests, `failsoft scenario` starting its own platform), the control channel of a running
 * `failsoft up` (HTTP on loopback, see control/), and `docker compose` (`--compose`).
 * Every method rejects with an Error whose message says what went wrong and what to do.
 */
export interface ChaosTarget {
  readonly kind: 'local' | 'compose';
  /** The front door URL (the public API and the UI). */
  readonly url: string;
  status(): Promise<ChaosStatus>;
  /** Instance ids of a service (`likes` → `likes-1`, `likes-2`). @throws on an unknown service. */
  instancesOf(service: string): Promise<string[]>;
  /**
   * Signals one instance. KILL and TERM keep it down (the supervisor does not restart it) until
   * {@link revive}; STOP pauses it until {@link revive} (SIGCONT).
   */
  kill(id: string, signal: ChaosSignal): Promise<void>;
  /** Brings back an instance killed or paused by {@link kill}; a no-op for a running one. */
  revive(id: string): Promise<void>;
  /** Asks the sentinels for a failover (SENTINEL FAILOVER); resolves with the new master `host:port`. */
  redisFailover(): Promise<string>;
  /** SIGKILLs the Redis master (the platform restarts it as a replica); resolves with the old master `host:port`. */
  redisKillMaster(): Promise<string>;
  /** SIGSTOPs the Redis master until {@link redisResume}; resolves with its `host:port`. */
  redisPauseMaster(): Promise<string>;
  /** SIGCONTs every paused Redis node. */
  redisResume(): Promise<void>;
  /**
   * SIGKILLs Redis data node `node` (`redis-2`, `2`, or its port): held down until
   * {@link redisReviveNode} with `hold`, else restarted as a replica by the platform. Resolves with
   * the node (`redis-2 127.0.0.1:7002`). @throws NOT_FOUND naming the nodes; CONFLICT for the master with `replicaOnly`.
   */
  redisKillNode(node: string, options: RedisKillOptions): Promise<string>;
  /** Brings back a data node held down by {@link redisKillNode} (a no-op for a running one); resolves with the node. */
  redisReviveNode(node: string): Promise<string>;
  /** SIGKILLs sentinel `index` (0-based) and keeps it down until {@link reviveSentinel}. */
  killSentinel(index: number): Promise<void>;
  reviveSentinel(index: number): Promise<void>;
  /**
   * Cuts every link between a node of one group and a node of another (`redis-1`.., `sentinel-1`..,
   * a service instance id such as `gateway-1` or `feed-2`, `clients` = every client not named in
   * the groups: the other instances and the CLI): existing connections are reset, new ones refused, until
   * {@link heal}. Adds to the cuts already made; resolves with every link cut now (`a|b`).
   * @throws ChaosError BAD_REQUEST naming an unknown node; UNAVAILABLE where partitions are not possible.
   */
  partition(groups: string[][]): Promise<string[]>;
  /** Heals every link cut by {@link partition}. */
  heal(): Promise<void>;
  /** Adds (or replaces, same id) a sidecar fault rule in Redis; every server applies it within a second. */
  addFault(rule: FaultRuleInput): Promise<FaultRule>;
  removeFault(id: string): Promise<void>;
  listFaults(): Promise<FaultRule[]>;
  /** Resolves once everything is whole: every instance running and ready, front door up, Redis whole. */
  waitForHealthy(timeoutMs: number): Promise<void>;
}
