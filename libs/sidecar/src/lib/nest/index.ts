export { LivenessController } from './liveness.controller';
export { bootstrapService, DEFAULT_DRAIN_GRACE_MS, DEFAULT_HTTP_DRAIN_TIMEOUT_MS, type BootstrapOptions, type BootstrapDrainOptions } from './bootstrap';
export { HttpDrain, type HttpDrainResult } from './http-drain';
export { SidecarModule } from './sidecar.module';
export { SIDECAR, SIDECAR_MODULE_OPTIONS, SIDECAR_HANDLERS_METADATA, getSidecarClientToken } from './sidecar.constants';
export { type SidecarModuleOptions, type SidecarOptionsFactory, type SidecarHandlersMetadata } from './sidecar.interfaces';
export { type SidecarModuleAsyncOptions, type SidecarModuleExtras } from './sidecar.module-definition';
export { SidecarHandlers, InjectSidecarClient, InjectSidecar } from './sidecar-handlers.decorator';
export { SidecarLifecycle } from './sidecar.lifecycle';
export { SidecarEndpointsController } from './sidecar-endpoints.controller';
export { CallScopeInterceptor, DEFAULT_HTTP_DEADLINE_MS } from './call-scope.interceptor';
export { JsonNestLogger } from './json-nest.logger';
export {
  defineSidecarClient,
  isSidecarClientDefinition,
  getTypedSidecarClientToken,
  type ClientMethodsOf,
  type SidecarClientDefinition,
  type SidecarClientOf,
  type SidecarClientRegistration,
  type SidecarClientSettings,
  type SidecarClientSettingsOf,
  type SidecarClientSettingsFor,
  type SidecarFeatureEntry,
  type ClientMethodMap,
  type MethodNamesOfMap,
  type MethodNamesOf,
} from './sidecar-client.definition';
export { sidecarClientGrpc, grpcMethodServices, NEST_PATTERN_METADATA, type SidecarClientGrpc } from './grpc-method.adapter';
