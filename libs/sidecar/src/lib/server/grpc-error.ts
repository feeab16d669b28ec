import { Metadata, status } from '@grpc/grpc-js';
import { isSidecarError, SidecarError, type SidecarErrorCode } from '../core/sidecar.error';
import { isGrpcError } from '../policies/grpc-status';

export { isGrpcError };

/**
 * An error a handler throws to answer with a specific gRPC status:
 * `throw new GrpcError(status.NOT_FOUND, 'post 42 not found')`. `details` (default: the message)
 * is what the client receives; `metadata` is sent as trailers.
 * Recognised by {@link isGrpcError} (as is any error with a numeric `code`, e.g. a downstream call's error).
 */
export class GrpcError extends Error {
  /** Status details sent to the client. */
  readonly details: string;
  /** Trailing metadata sent to the client. */
  readonly metadata: Metadata;

  /**
   * @param code gRPC status code (1-16; use `status` from @grpc/grpc-js).
   * @param message what went wrong (logged).
   * @param details what the client sees (default `message`).
   * @param metadata trailers to send.
   */
  constructor(
    readonly code: status,
    message: string,
    details?: string,
    metadata?: Metadata,
  ) {
    super(message);
    this.name = 'GrpcError';
    this.details = details ?? message;
    this.metadata = metadata ?? new Metadata();
  }
}

/**
 * An error a handler throws for bad input; answered with INVALID_ARGUMENT and its message.
 * Errors named `ValidationError` or `ZodError` from other libraries are treated the same way.
 */
export class ValidationError extends SidecarError {
  /** @param message what is wrong with the input (sent to the client). */
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** True when `error` is a validation error (ours, or one named ValidationError / ZodError). */
export function isValidationError(error: unknown): error is Error {
  return error instanceof ValidationError || (error instanceof Error && (error.name === 'ValidationError' || error.name === 'ZodError'));
}

/** The gRPC status a server answers with for a handler error. */
export interface MappedStatus {
  /** gRPC status code. */
  readonly code: number;
  /** Status details sent to the client. */
  readonly details: string;
  /** Trailers to send, if any. */
  readonly metadata?: Metadata;
  /** True when the error was unexpected: it is logged with its stack and the client sees a generic message. */
  readonly unexpected: boolean;
}

const SIDECAR_TO_GRPC: Partial<Record<SidecarErrorCode, number>> = {
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  BROKEN_CIRCUIT: status.UNAVAILABLE,
  NO_HEALTHY_INSTANCE: status.UNAVAILABLE,
  RETRY_BUDGET_EXHAUSTED: status.UNAVAILABLE,
  DISCOVERY_UNAVAILABLE: status.UNAVAILABLE,
  DRAINING: status.UNAVAILABLE,
  INJECTED_FAULT: status.UNAVAILABLE,
  BULKHEAD_REJECTED: status.RESOURCE_EXHAUSTED,
  ABORTED: status.CANCELLED,
};

/** What clients see for unexpected errors (the real error is logged, never sent). */
export const INTERNAL_ERROR_DETAILS = 'internal error (details are in the server log)';

/**
 * Maps an error thrown by a handler to the status the client receives:
 * - errors with a numeric gRPC code (GrpcError, a downstream call's error) keep it (0 becomes INTERNAL);
 *   only a GrpcError's own metadata is forwarded, never a downstream call's trailers;
 * - validation errors → INVALID_ARGUMENT with their message;
 * - sidecar errors from downstream calls → their gRPC equivalent (an open breaker or no healthy
 *   instance → UNAVAILABLE, a full bulkhead → RESOURCE_EXHAUSTED, a deadline → DEADLINE_EXCEEDED);
 *   other sidecar errors (misconfiguration) → INTERNAL, logged;
 * - an AbortError → CANCELLED;
 * - anything else → INTERNAL with a safe message; the error is logged with its stack.
 */
export function mapHandlerError(error: unknown): MappedStatus {
  if (error instanceof GrpcError) {
    return error.code >= 1 && error.code <= 16
      ? { code: error.code, details: error.details, metadata: error.metadata, unexpected: false }
      : { code: status.INTERNAL, details: INTERNAL_ERROR_DETAILS, unexpected: true };
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'number' && (isGrpcError(error) || error instanceof Error)) {
    if (Number.isInteger(code) && code >= 1 && code <= 16) {
      const details = (error as { details?: unknown }).details;
      return { code, details: typeof details === 'string' && details !== '' ? details : (error as Error).message ?? '', unexpected: false };
    }
    return { code: status.INTERNAL, details: INTERNAL_ERROR_DETAILS, unexpected: true };
  }
  if (isValidationError(error)) return { code: status.INVALID_ARGUMENT, details: error.message, unexpected: false };
  if (isSidecarError(error)) {
    const mapped = SIDECAR_TO_GRPC[error.code];
    if (mapped !== undefined) return { code: mapped, details: `${error.code}: ${error.message}`, unexpected: false };
    return { code: status.INTERNAL, details: INTERNAL_ERROR_DETAILS, unexpected: true };
  }
  if (error instanceof Error && error.name === 'AbortError') return { code: status.CANCELLED, details: 'cancelled', unexpected: false };
  return { code: status.INTERNAL, details: INTERNAL_ERROR_DETAILS, unexpected: true };
}

/** Raised by `SidecarServer.start()` when the address cannot be bound (code `BIND_FAILED`). */
export class BindError extends SidecarError {
  /** @param address the `host:port` that could not be bound; @param cause the grpc-js error. */
  constructor(
    readonly address: string,
    cause: unknown,
  ) {
    super('BIND_FAILED', `could not listen on ${address}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** True when `error` is a BindError. */
export function isBindError(error: unknown): error is BindError {
  return error instanceof BindError;
}
