export { SidecarServer } from './sidecar.server';
export {
  type SidecarServerOptions,
  type SidecarServerSnapshot,
  type ServerState,
  type SignalHandlerOptions,
  type Deregistration,
  type ListenHook,
  type ListeningAddress,
} from './server.types';
export { type ServiceHandlers, type UnaryHandler, type ServerStreamHandler, type ResponseStream } from './handler.types';
export { PermissionPolicy, resolvePermissions, type CallerPermissions } from './policies/permission.policy';
export { earlyAdmissionInterceptor, type EarlyAdmissionOptions } from './early-admission.interceptor';
export { type ServerPolicy, type IncomingCall, type Refusal, type MethodInfo } from './server-policy';
export { type ServerCallContext, type HandlerContext, type ServerSurfaceCall } from './handler-context';
export {
  GrpcError,
  isGrpcError,
  ValidationError,
  isValidationError,
  BindError,
  isBindError,
} from './grpc-error';
