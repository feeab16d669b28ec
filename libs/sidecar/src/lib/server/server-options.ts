import type { ChannelOptions } from '@grpc/grpc-js';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, assertObject, assertString, show } from '../core/validate';
import type { AuthOptions } from '../auth/auth-options';
import { isFaultSource, type FaultSource } from '../faults/fault-source';
import { resolveHealthLimits, type HealthLimits } from '../health/health-limits';
import { Readiness } from '../health/readiness';
import { resolvePermissions, type CallerPermissions } from './policies/permission.policy';
import { createLogger, type Logger } from '../telemetry/logger';
import { SidecarMetrics } from '../telemetry/metrics';
import type { Deregistration, ListenHook, SidecarServerOptions } from './server.types';

/** {@link SidecarServerOptions} checked, with defaults applied. */
export interface ResolvedServerOptions {
  readonly service: string;
  readonly instanceId: string;
  readonly host: string;
  readonly port: number;
  readonly zone: string;
  readonly auth: AuthOptions;
  readonly maxConcurrent: number;
  readonly drainTimeoutMs: number;
  readonly faults: FaultSource | undefined;
  readonly metrics: SidecarMetrics;
  readonly logger: Logger;
  readonly readiness: Readiness;
  readonly registration: Deregistration | undefined;
  readonly onListen: ListenHook | undefined;
  readonly grpcOptions: ChannelOptions | undefined;
  readonly permissions: CallerPermissions | undefined;
  readonly healthLimits: HealthLimits;
}

/** @throws InvalidOptionsError naming the bad option and value. */
export function resolveServerOptions(options: SidecarServerOptions): ResolvedServerOptions {
  assertObject('server options', options);
  const service = assertString('server.service', options.service);
  const instanceId = assertString('server.instanceId', options.instanceId);
  if (options.zone !== undefined && typeof options.zone !== 'string') throw new InvalidOptionsError(`server.zone must be a string; got ${show(options.zone)}`);
  if (options.auth === undefined) {
    throw new InvalidOptionsError('server.auth is required: { token } or { tls: { ca, cert, key }, token? } (unauthenticated servers are not supported)');
  }
  if (options.faults !== undefined && !isFaultSource(options.faults)) {
    throw new InvalidOptionsError(`server.faults must be a FaultRules or RedisFaultRuleStore; got ${show(options.faults)}`);
  }
  if (options.metrics !== undefined && typeof (options.metrics as Partial<SidecarMetrics>).serverCall !== 'function') {
    throw new InvalidOptionsError(`server.metrics must be a SidecarMetrics; got ${show(options.metrics)}`);
  }
  if (options.logger !== undefined && (typeof options.logger !== 'object' || typeof options.logger.error !== 'function' || typeof options.logger.child !== 'function')) {
    throw new InvalidOptionsError(`server.logger must implement Logger (debug/info/warn/error/child); got ${show(options.logger)}`);
  }
  if (options.readiness !== undefined && !(options.readiness instanceof Readiness)) {
    throw new InvalidOptionsError(`server.readiness must be a Readiness; got ${show(options.readiness)}`);
  }
  if (options.onListen !== undefined && typeof options.onListen !== 'function') {
    throw new InvalidOptionsError(`server.onListen must be a function; got ${show(options.onListen)}`);
  }
  if (options.grpcOptions !== undefined) assertObject('server.grpcOptions', options.grpcOptions);
  if (options.permissions !== undefined) resolvePermissions(options.permissions);
  return {
    service,
    instanceId,
    host: assertString('server.host', options.host ?? '127.0.0.1'),
    port: assertNumber('server.port', options.port ?? 0, 0, 65535, true),
    zone: options.zone ?? '',
    auth: options.auth,
    maxConcurrent: assertNumber('server.maxConcurrent', options.maxConcurrent ?? 256, 1, Infinity, true),
    drainTimeoutMs: assertNumber('server.drainTimeoutMs', options.drainTimeoutMs ?? 10_000, 0, Infinity, true),
    faults: options.faults,
    metrics: options.metrics ?? new SidecarMetrics({ service, instance: instanceId }),
    logger: options.logger ?? createLogger({ service, instance: instanceId }),
    readiness: options.readiness ?? new Readiness(),
    registration: checkRegistration(options.registration, 'server.registration'),
    onListen: options.onListen,
    grpcOptions: options.grpcOptions,
    permissions: options.permissions,
    healthLimits: resolveHealthLimits(options.healthLimits),
  };
}

/** @throws InvalidOptionsError when `registration` is set without a deregister() method. */
export function checkRegistration(registration: Deregistration | undefined, name: string): Deregistration | undefined {
  if (registration !== undefined && typeof (registration as Partial<Deregistration> | null)?.deregister !== 'function') {
    throw new InvalidOptionsError(`${name} must have a deregister(): Promise<void> method; got ${show(registration)}`);
  }
  return registration;
}

/** `host:port`, with IPv6 hosts in brackets. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}
