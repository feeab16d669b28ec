export {
  HealthService,
  HEALTH_PROTO_PATH,
  HEALTH_SERVICE_NAME,
  loadHealthPackage,
  loadHealthClient,
  loadHealthDefinition,
  type ServingStatus,
  type HealthCheckRequest,
  type HealthCheckResponse,
} from './health.service';
export { DEFAULT_HEALTH_LIMITS, resolveHealthLimits, type HealthLimits } from './health-limits';
export { Readiness, type ReadinessCheck, type ReadinessCheckResult, type ReadinessReport, type ReadinessOptions } from './readiness';
export { AdminHandlers, createAdminRequestListener, type AdminHandlersOptions, type AdminResponse, type ReadinessSource } from './admin-handlers';
export { AdminHttpServer, type AdminHttpServerOptions } from './admin-http.server';
