/**
 * @failsoft/sidecar — an in-process service mesh for gRPC services: discovery, load balancing,
 * outlier detection, retries with a budget, deadlines, bulkheads, fallbacks, fault injection,
 * health, graceful drain, identity and telemetry. Framework-free; the NestJS adapter lives in
 * `@failsoft/sidecar/nest`.
 */
export * from './lib/core/index';
export * from './lib/config/index';
export * from './lib/policies/index';
export * from './lib/balancing/index';
export * from './lib/discovery/index';
export * from './lib/auth/index';
export * from './lib/faults/index';
export * from './lib/health/index';
export * from './lib/telemetry/index';
export * from './lib/server/index';
export * from './lib/client/index';
export {
  Sidecar,
  type SidecarOptions,
  type SidecarDiscoveryOptions,
  type SidecarClientOptions,
  type SidecarServeOptions,
  type SidecarSnapshot,
} from './lib/sidecar';
// Both discovery and the server name a `Registration`; the discovery one (a superset) wins,
// the server's deregistration hook is exported as `DeregistrationHook`.
export { type Registration } from './lib/discovery/index';
export { type Registration as DeregistrationHook } from './lib/server/index';
