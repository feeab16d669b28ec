export {
  SidecarServer,
  type SidecarServerOptions,
  type SidecarServerSnapshot,
  type ServerState,
  type SignalHandlerOptions,
  type Deregistration,
  type Registration,
  type ServiceHandlers,
  type UnaryHandler,
  type ServerStreamHandler,
  type ResponseStream,
} from './sidecar.server';
export { ServerCallContext, DEADLINE_SLACK_MS, type HandlerContext, type ServerSurfaceCall } from './handler-context';
export {
  GrpcError,
  isGrpcError,
  ValidationError,
  isValidationError,
  mapHandlerError,
  INTERNAL_ERROR_DETAILS,
  BindError,
  isBindError,
  type MappedStatus,
} from './grpc-error';
