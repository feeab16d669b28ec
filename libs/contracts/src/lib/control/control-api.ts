/**
 * The control channel of `failsoft up`: JSON over loopback HTTP with a bearer token, served by the
 * CLI (apps/cli/src/app/control/control.server.ts) and called by the CLI's chaos commands and the
 * gateways' console. Paths, request and response bodies are defined here once for both sides.
 */

/** Environment variable giving the gateways of `failsoft up` the control channel's URL (`http://127.0.0.1:<port>`). */
export const CONTROL_URL_ENV = 'FAILSOFT_CONTROL_URL';

/** Environment variable with the bearer token of the control channel (gateway processes only). */
export const CONTROL_TOKEN_ENV = 'FAILSOFT_CONTROL_TOKEN';

/** Path prefix of every control route. */
export const CONTROL_API_PREFIX = '/v1';

/** Signals chaos sends to an instance: `KILL` (crash), `TERM` (graceful stop, drains) or `STOP` (hang: paused). */
export const CONTROL_SIGNALS = ['KILL', 'TERM', 'STOP'] as const;
/** One of {@link CONTROL_SIGNALS}. */
export type ControlSignal = (typeof CONTROL_SIGNALS)[number];

/** One service instance (or the front door) in the platform's status. */
export interface ControlInstance {
  /** `likes-1`, `gateway-2`, `haproxy-1` (npm start), `front-door-1` (compose)... */
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
  /**
   * Front doors only: `active` (npm start: both HAProxy processes share the port, active-active),
   * `MASTER` / `BACKUP` / `FAULT` (compose: the keepalived VRRP state; the MASTER holds the virtual
   * address), `unknown` when it cannot be told. Absent for service instances.
   */
  role?: 'active' | 'MASTER' | 'BACKUP' | 'FAULT' | 'unknown';
}

/** One Redis data node or sentinel in the platform's status. */
export interface ControlRedisNode {
  host: string;
  port: number;
  pid: number | null;
  role: 'master' | 'replica' | 'sentinel';
  /** running | paused | down | held (a data node kept down by `failsoft redis hold` until revived) */
  state: string;
  /** `redis-1`, `sentinel-2` (when the platform names its nodes). */
  name?: string;
  /** The zone the node is placed in (zone-a, zone-b, zone-c), when known. */
  zone?: string;
}

/**
 * `GET /v1/status`: what `failsoft status` and the console show. `Fault` is the sidecar's
 * `FaultRule` for code that has it (the CLI); readers that only show the rules keep the default.
 */
export interface ControlStatus<Fault = Readonly<Record<string, unknown>>> {
  /** Where the platform runs: processes of `failsoft up`, or containers of `docker compose`. */
  kind: 'local' | 'compose';
  /** The front door URL. */
  url: string;
  instances: ControlInstance[];
  redis: { master: string | null; nodes: ControlRedisNode[] };
  /** The feed instance holding the trending lease (`feed-1`), null when none or unknown. */
  trendingLeader: string | null;
  /** Breaker state per downstream as each gateway sees it: gateway id → `likes@127.0.0.1:5001` → closed|open|half-open. */
  breakers: Record<string, Record<string, string>>;
  /** Fault rules in force. */
  faults: Fault[];
}

/** Body of `POST /v1/instances/:id/kill` and `POST /v1/services/:service/kill` (signal defaults to KILL). */
export interface ControlKillRequest {
  signal?: ControlSignal;
}

/** Body of `POST /v1/redis/nodes/:node/kill`: `hold` keeps it down until revived; `replicaOnly` refuses the master. */
export interface ControlRedisKillRequest {
  hold?: boolean;
  replicaOnly?: boolean;
}

/** Body of `POST /v1/wait-healthy` (default 60 s, at most 600 s). */
export interface ControlWaitHealthyRequest {
  timeoutMs?: number;
}

/** Answers of the control routes that change something. */
export interface ControlAnswers {
  killInstance: { ok: true; id: string; signal: ControlSignal };
  reviveInstance: { ok: true; id: string };
  killService: { ok: true; service: string; ids: string[]; signal: ControlSignal };
  reviveService: { ok: true; service: string; ids: string[] };
  redisFailover: { ok: true; master: string };
  redisKillMaster: { ok: true; killed: string };
  redisPauseMaster: { ok: true; paused: string };
  redisResume: { ok: true };
  /** `POST /v1/redis/nodes/:node/kill` and `.../revive`: the node as `redis-2 127.0.0.1:7002`. */
  redisNode: { ok: true; node: string };
  sentinel: { ok: true; index: number };
  removeFault: { ok: true; id: string };
  clearFaults: { ok: true; removed: string[] };
  waitHealthy: { ok: true };
}

/** Stable codes of control channel errors (the HTTP status of each is in {@link CONTROL_ERROR_STATUS}). */
export type ControlErrorCode = 'BAD_REQUEST' | 'UNAUTHENTICATED' | 'NOT_FOUND' | 'METHOD_NOT_ALLOWED' | 'CONFLICT' | 'UNAVAILABLE' | 'INTERNAL';

/** HTTP status of each {@link ControlErrorCode}. */
export const CONTROL_ERROR_STATUS: Readonly<Record<ControlErrorCode, number>> = Object.freeze({
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  UNAVAILABLE: 503,
  INTERNAL: 500,
});

/** Body of every control channel error. */
export interface ControlErrorBody {
  error: { code: ControlErrorCode; message: string };
}

const segment = (value: string | number): string => encodeURIComponent(String(value));

/** The control routes' paths (without {@link CONTROL_API_PREFIX}), with their path parameters encoded. */
export const CONTROL_PATHS = Object.freeze({
  status: () => '/status',
  killInstance: (id: string) => `/instances/${segment(id)}/kill`,
  reviveInstance: (id: string) => `/instances/${segment(id)}/revive`,
  killService: (service: string) => `/services/${segment(service)}/kill`,
  reviveService: (service: string) => `/services/${segment(service)}/revive`,
  redisFailover: () => '/redis/failover',
  redisKillMaster: () => '/redis/kill-master',
  redisPauseMaster: () => '/redis/pause-master',
  redisResume: () => '/redis/resume',
  redisKillNode: (node: string) => `/redis/nodes/${segment(node)}/kill`,
  redisReviveNode: (node: string) => `/redis/nodes/${segment(node)}/revive`,
  killSentinel: (index: number) => `/sentinels/${segment(index)}/kill`,
  reviveSentinel: (index: number) => `/sentinels/${segment(index)}/revive`,
  faults: () => '/faults',
  fault: (id: string) => `/faults/${segment(id)}`,
  waitHealthy: () => '/wait-healthy',
});
