// Friendly names for the generated `grpc.health.v1` types (see README: input vs output flavours).
import type { HealthCheckRequest as GenHealthCheckRequest, HealthCheckRequest__Output as GenHealthCheckRequestOutput } from '../generated/grpc/health/v1/HealthCheckRequest.generated';
import {
  _grpc_health_v1_HealthCheckResponse_ServingStatus as GenServingStatus,
  type _grpc_health_v1_HealthCheckResponse_ServingStatus__Output as GenServingStatusOutput,
  type HealthCheckResponse as GenHealthCheckResponse,
  type HealthCheckResponse__Output as GenHealthCheckResponseOutput,
} from '../generated/grpc/health/v1/HealthCheckResponse.generated';
import type { HealthListRequest as GenHealthListRequest, HealthListRequest__Output as GenHealthListRequestOutput } from '../generated/grpc/health/v1/HealthListRequest.generated';
import type { HealthListResponse as GenHealthListResponse, HealthListResponse__Output as GenHealthListResponseOutput } from '../generated/grpc/health/v1/HealthListResponse.generated';
import type { HealthClient as GenHealthClient, HealthHandlers as GenHealthHandlers, HealthDefinition as GenHealthDefinition } from '../generated/grpc/health/v1/Health.generated';

/** Health.Check/Watch request (`service: ''` asks for the whole server) — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type HealthCheckRequest = GenHealthCheckRequest;
/** Health.Check/Watch request (`service: ''` asks for the whole server) — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type HealthCheckRequestOutput = GenHealthCheckRequestOutput;
/** Health.Check/Watch response — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type HealthCheckResponse = GenHealthCheckResponse;
/** Health.Check/Watch response — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type HealthCheckResponseOutput = GenHealthCheckResponseOutput;
/** Health.List request — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type HealthListRequest = GenHealthListRequest;
/** Health.List request — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type HealthListRequestOutput = GenHealthListRequestOutput;
/** Health.List response: status per service name — input flavour: what you build and send (fields optional, int64 as number | string | Long). */
export type HealthListResponse = GenHealthListResponse;
/** Health.List response: status per service name — output flavour: what you receive (defaults filled, int64 as string, enums as names). */
export type HealthListResponseOutput = GenHealthListResponseOutput;
/** `HealthCheckResponse.ServingStatus` names as constants (`UNKNOWN`, `SERVING`, `NOT_SERVING`, `SERVICE_UNKNOWN`). */
export const HealthServingStatus = GenServingStatus;
/** `HealthCheckResponse.ServingStatus` — input flavour (name or number). */
export type HealthServingStatus = GenServingStatus;
/** `HealthCheckResponse.ServingStatus` — output flavour (always the name). */
export type HealthServingStatusOutput = GenServingStatusOutput;
/** Typed client of `grpc.health.v1.Health` (as made by `grpc.makeGenericClientConstructor`). */
export type HealthClient = GenHealthClient;
/** Typed handlers to implement `grpc.health.v1.Health` on a `grpc.Server`. */
export type HealthHandlers = GenHealthHandlers;
/** Typed `grpc.ServiceDefinition` of `grpc.health.v1.Health`. */
export type HealthDefinition = GenHealthDefinition;
