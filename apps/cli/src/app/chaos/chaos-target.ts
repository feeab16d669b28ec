import type { FaultRule, FaultRuleInput } from '@failsoft/sidecar';

/** Signals the chaos commands send to an instance. */
export const CHAOS_SIGNALS = ['KILL', 'TERM', 'STOP'] as const;
/** `KILL` (crash), `TERM` (graceful stop, drains) or `STOP` (hang: the process is paused). */
export type ChaosSignal = (typeof CHAOS_SIGNALS)[number];

/** One service instance (or the front door) as the chaos commands see it. */
export interface ChaosInstance {
  /** `likes-1`, `gateway-2`, `haproxy`... */
  id: string;
  /** `upload`, `likes`, `feed`, `gateway`, `haproxy`. */
  service: string;
  /** running | paused | held (killed by chaos, kept down until revived) | backoff | failed | stopping | stopped | pending */
  state: string;
  pid: number | null;
  zone: string | null;
  /** `http://127.0.0.1:<port>` (livez, readyz, snapshot) when known. */
  url: string | null;
  /** Restarts by the supervisor since the platform started. */
  restarts: number;
  /** Answers /readyz 200 right now (null when not probed). */
  ready: boolean | null;
}

/** One Redis data node or sentinel. */
export interface ChaosRedisNode {
  host: string;
  port: number;
  pid: number | null;
  /** master | replica | sentinel */
  role: 'master' | 'replica' | 'sentinel';
  /** running | paused | down */
  state: string;
}

/** What `failsoft status` shows. */
export interface ChaosStatus {
  /** Where the platform runs: processes of `failsoft up`, or containers of `docker compose`. */
  kind: 'local' | 'compose';
  /** The front door URL. */
  url: string;
  instances: ChaosInstance[];
  redis: { master: string | null; nodes: ChaosRedisNode[] };
  /** The feed instance holding the trending lease (`feed-1`), null when none or unknown. */
  trendingLeader: string | null;
  /** Breaker state per downstream instance as seen by each gateway: gateway id → `likes@127.0.0.1:5001` → closed|open|half-open. */
  breakers: Record<string, Record<string, string>>;
  /** Fault rules in force. */
  faults: FaultRule[];
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
  /** SIGKILLs sentinel `index` (0-based) and keeps it down until {@link reviveSentinel}. */
  killSentinel(index: number): Promise<void>;
  reviveSentinel(index: number): Promise<void>;
  /** Adds (or replaces, same id) a sidecar fault rule in Redis; every server applies it within a second. */
  addFault(rule: FaultRuleInput): Promise<FaultRule>;
  removeFault(id: string): Promise<void>;
  listFaults(): Promise<FaultRule[]>;
  /** Resolves once everything is whole: every instance running and ready, front door up, Redis whole. */
  waitForHealthy(timeoutMs: number): Promise<void>;
}
