import { isSidecarError, type SidecarErrorCode } from '../core/sidecar.error';
import { isGrpcError, retryableGrpcCodes, serverFaultGrpcCodes } from './grpc-status';

/**
 * Error classification shared by the policies (pure functions, no state).
 *
 * - {@link isRetryableError}: may the call be tried again (on another instance)?
 * - {@link isServerFault}: does the error count against a circuit breaker?
 * - {@link isDegradation}: should a fallback be served instead of the error?
 */

/** Sidecar codes that are retryable when raised by a per-instance layer (`instanceId` set). */
const PER_INSTANCE_RETRYABLE: ReadonlySet<SidecarErrorCode> = new Set<SidecarErrorCode>(['BROKEN_CIRCUIT', 'BULKHEAD_REJECTED']);

/** Sidecar codes that never count as a downstream fault. */
const NOT_A_FAULT: ReadonlySet<SidecarErrorCode> = new Set<SidecarErrorCode>([
  'INVALID_OPTIONS',
  'BULKHEAD_REJECTED',
  'RETRY_BUDGET_EXHAUSTED',
  'ABORTED',
  'UNAUTHENTICATED',
]);

/** Sidecar codes for which a fallback is served even though they are not downstream faults. */
const DEGRADED: ReadonlySet<SidecarErrorCode> = new Set<SidecarErrorCode>([
  'BROKEN_CIRCUIT',
  'BULKHEAD_REJECTED',
  'DEADLINE_EXCEEDED',
  'RETRY_BUDGET_EXHAUSTED',
  'NO_HEALTHY_INSTANCE',
]);

/**
 * Default retry classification: gRPC `UNAVAILABLE` / `RESOURCE_EXHAUSTED`, `NO_HEALTHY_INSTANCE`,
 * and `BROKEN_CIRCUIT` / `BULKHEAD_REJECTED` raised by a per-instance layer (the error carries an
 * `instanceId`, so another instance may take the call). Everything else is final.
 */
export function isRetryableError(error: unknown): boolean {
  if (isGrpcError(error)) return retryableGrpcCodes.includes(error.code as never);
  if (!isSidecarError(error)) return false;
  if (error.code === 'NO_HEALTHY_INSTANCE') return true;
  return PER_INSTANCE_RETRYABLE.has(error.code) && typeof (error as { instanceId?: unknown }).instanceId === 'string';
}

/**
 * Default circuit-breaker failure classification: server-side faults only.
 * gRPC: UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN, RESOURCE_EXHAUSTED, DATA_LOSS count;
 * client errors (INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, UNAUTHENTICATED,
 * CANCELLED ...) do not. Sidecar errors count unless they are local decisions (bulkhead shedding,
 * invalid options, caller aborts, deadlines refused before the call started). Any other error
 * (a non-gRPC failure such as a connection error) counts, except an `AbortError` (the caller gave up).
 */
export function isServerFault(error: unknown): boolean {
  if (isGrpcError(error)) return serverFaultGrpcCodes.includes(error.code as never);
  if (isSidecarError(error)) {
    if (error.code === 'DEADLINE_EXCEEDED') return (error as { refused?: unknown }).refused !== true;
    return !NOT_A_FAULT.has(error.code);
  }
  return !(error instanceof Error && error.name === 'AbortError');
}

/**
 * Default fallback classification: serve degraded data when the downstream is at fault
 * ({@link isServerFault}) or a resilience policy refused the call (open breaker, full bulkhead,
 * deadline, retry budget, no healthy instance). Client errors such as INVALID_ARGUMENT or NOT_FOUND
 * propagate, so bad input still gets a clear error.
 */
export function isDegradation(error: unknown): boolean {
  if (isSidecarError(error) && DEGRADED.has(error.code)) return true;
  return isServerFault(error);
}
