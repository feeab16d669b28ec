import type { ChannelOptions } from '@grpc/grpc-js';
import type { AuthOptions } from '../auth/auth-options';
import type { FaultRule } from '../faults/fault-rule';
import type { FaultSource } from '../faults/fault-source';
import type { HealthLimits } from '../health/health-limits';
import type { Readiness, ReadinessReport } from '../health/readiness';
import type { CallerPermissions } from './policies/permission.policy';
import type { Logger } from '../telemetry/logger';
import type { SidecarMetrics } from '../telemetry/metrics';

/**
 * Something to deregister from discovery when draining (awaited, bounded by the drain timeout).
 * A discovery `Registration` (from `RedisRegistry.register`) fits.
 */
export interface Deregistration {
  /** Removes this instance from discovery. */
  deregister(): Promise<void>;
}

/** Where a server listens, given to its listen hooks. */
export interface ListeningAddress {
  /** The bind host. */
  readonly host: string;
  /** The bound port. */
  readonly port: number;
}

/**
 * Runs once the server listens, before `start()` resolves (e.g. registering the instance in
 * discovery, so callers only see instances that listen). A rejection fails `start()`.
 */
export type ListenHook = (address: ListeningAddress) => Promise<void> | void;

/** Options of {@link SidecarServer}. */
export interface SidecarServerOptions {
  /** Logical service name, e.g. `likes` (fault rules and logs use it). */
  service: string;
  /** Unique id of this instance. */
  instanceId: string;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port to bind; 0 (default) picks a free one. */
  port?: number;
  /** Failure domain of the instance (shown in snapshots). */
  zone?: string;
  /** How incoming calls are authenticated: shared token, or mutual TLS. */
  auth: AuthOptions;
  /** Calls served at once at most; more are shed with RESOURCE_EXHAUSTED (default 256). */
  maxConcurrent?: number;
  /** Longest wait for in-flight calls when draining, in ms (default 10000). */
  drainTimeoutMs?: number;
  /**
   * Fault rules applied to incoming calls (a FaultRules or a RedisFaultRuleStore). `start()` calls
   * the store's `start()`; shutting the store down stays with its owner.
   */
  faults?: FaultSource;
  /** Metrics sink (default: a SidecarMetrics on its own registry, see `server.metrics`). */
  metrics?: SidecarMetrics;
  /** Logger (default: JSON lines on stdout at level info). */
  logger?: Logger;
  /** Readiness to use (default: a new one, see `server.readiness`; add checks to it). */
  readiness?: Readiness;
  /** Deregistration hook run when draining (or set it after `start()` with `setRegistration`, once the port is known). */
  registration?: Deregistration;
  /** Runs once listening, before `start()` resolves (see {@link ListenHook}); more with `server.onListen(hook)`. */
  onListen?: ListenHook;
  /** Extra grpc-js server options (message sizes, keepalive ...). */
  grpcOptions?: ChannelOptions;
  /**
   * Who may call which method: method name → caller identities (e.g. `{ CreatePost: ['gateway'] }`).
   * Checked before the request body is read; unlisted methods are refused to everyone
   * (PERMISSION_DENIED). Unset: every authenticated caller may call every method.
   */
  permissions?: CallerPermissions;
  /** Caps of the gRPC health service (name length, Watch streams); defaults in {@link HealthLimits}. */
  healthLimits?: Partial<HealthLimits>;
}

/** Lifecycle states of a {@link SidecarServer}. */
export type ServerState = 'idle' | 'starting' | 'serving' | 'draining' | 'stopped';

/** Counters and state reported by {@link SidecarServer.snapshot}. */
export interface SidecarServerSnapshot {
  /** Logical service name. */
  readonly service: string;
  /** Instance id. */
  readonly instanceId: string;
  /** Zone ('' when unset). */
  readonly zone: string;
  /** Lifecycle state. */
  readonly state: ServerState;
  /** `host:port` once bound. */
  readonly address: string | undefined;
  /** Calls being served. */
  readonly inFlight: number;
  /** The load-shedding limit. */
  readonly maxConcurrent: number;
  /** Calls whose handler ran to completion (success or error). */
  readonly served: number;
  /** Calls whose handler failed (any non-OK status). */
  readonly failed: number;
  /** Calls shed with RESOURCE_EXHAUSTED. */
  readonly shed: number;
  /** Calls refused before running, by reason. */
  readonly refused: { readonly draining: number; readonly unauthenticated: number; readonly permissionDenied: number; readonly deadline: number };
  /** Injected faults and the rules in force. */
  readonly faults: { readonly delayed: number; readonly aborted: number; readonly rules: readonly FaultRule[] };
  /** The readiness report. */
  readonly readiness: ReadinessReport;
  /** gRPC health status per service name ('' = the whole server). */
  readonly health: Record<string, string>;
  /** When the server started listening (ISO time). */
  readonly startedAt: string | undefined;
}

/** Options of {@link SidecarServer.installSignalHandlers}. */
export interface SignalHandlerOptions {
  /** Exit the process after draining (default true): code 0, or 1 if draining failed. */
  exit?: boolean;
  /** Signals to handle (default SIGTERM and SIGINT). */
  signals?: NodeJS.Signals[];
}
