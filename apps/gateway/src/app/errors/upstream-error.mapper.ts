import { ERROR_CODE_METADATA_KEY } from '@failsoft/contracts';
import { GrpcStatus, isBrokenCircuitError, isGrpcError, isSidecarError } from '@failsoft/sidecar';
import { ApiError, notFound, unavailable } from './api-error';

/** A downstream part of the platform, as named in `degraded: [...]` lists and error codes. */
export type Part = 'upload' | 'likes' | 'feed';

/**
 * `Retry-After` when the error says nothing better (no healthy instance, UNAVAILABLE, deadline):
 * discovery sees a restarted instance within a heartbeat (a few seconds), and a breaker that is
 * about to open will say how long itself, so a short hint avoids both hammering and long waits.
 */
export const DEFAULT_RETRY_AFTER_MS = 2000;

/**
 * HTTP status of each machine code the upload service puts in `x-failsoft-error-code`:
 * - 415 for bytes that are not an accepted image type (whatever the file name says),
 * - 413 for a file above the size cap,
 * - 422 for an image that is of an accepted type but cannot be used (too many pixels — a
 *   decompression-bomb guard —, cut short, or corrupt),
 * - 422 for an Idempotency-Key already used for a different caption or image,
 * - 400 for an empty file, a bad caption and other bad fields, 404 for an unknown post.
 * Codes not listed (new ones) are 400.
 */
export const UPSTREAM_CODE_STATUS: Readonly<Record<string, number>> = Object.freeze({
  UNSUPPORTED_TYPE: 415,
  TOO_LARGE: 413,
  TOO_MANY_PIXELS: 422,
  TRUNCATED: 422,
  CORRUPT: 422,
  EMPTY: 400,
  IDEMPOTENCY_KEY_REUSED: 422,
  BAD_CAPTION: 400,
  BAD_IDEMPOTENCY_KEY: 400,
  BAD_POST_ID: 400,
  BAD_VARIANT: 400,
  BAD_AUTHOR: 400,
  NOT_FOUND: 404,
});

/** How to describe a failed call to people. */
export interface UpstreamErrorContext {
  /** The part called (named in the error code and in `degraded`). */
  readonly part: Part;
  /** The subject of the sentence, e.g. `likes are` or `creating posts is`. */
  readonly what: string;
  /** Message of a 404 when the upstream answers NOT_FOUND (default: the upstream's own). */
  readonly notFoundMessage?: string;
}

/** Longest upstream message relayed to a client (upstream details are meant for people, but bounded). */
const MAX_RELAYED_MESSAGE = 500;

/**
 * Maps an error of a sidecar call to the API error the client sees:
 * - the part is unavailable — open breaker (`Retry-After` from `retryAfterMs`), no healthy
 *   instance, retry budget or bulkhead exhausted, deadline, gRPC UNAVAILABLE / DEADLINE_EXCEEDED /
 *   RESOURCE_EXHAUSTED / CANCELLED — → 503 `<PART>_UNAVAILABLE` with `Retry-After` and a message
 *   naming the part ("likes are unavailable right now; try again in 2 s");
 * - INVALID_ARGUMENT / OUT_OF_RANGE → 400, 413, 415 or 422 by `x-failsoft-error-code`, with the
 *   upstream's code and message (they say what was wrong and what is accepted);
 * - NOT_FOUND → 404; ALREADY_EXISTS / FAILED_PRECONDITION → 409;
 * - PERMISSION_DENIED with `NOT_AUTHOR` (a user acting on another user's post) → 403 `NOT_AUTHOR`;
 *   any other PERMISSION_DENIED is the platform refusing the gateway itself (a misconfiguration) → 502;
 * - anything else from the upstream (INTERNAL, UNKNOWN, UNIMPLEMENTED, UNAUTHENTICATED between
 *   services ...) → 502 `UPSTREAM_ERROR`: not the client's fault, and retrying will not help.
 * Errors that are not from a call (bugs) are returned unchanged, to end as a 500.
 */
export function mapUpstreamError(error: unknown, context: UpstreamErrorContext): unknown {
  if (error instanceof ApiError) return error;
  const retryAfterMs = unavailabilityOf(error);
  if (retryAfterMs !== undefined) return partUnavailable(context, retryAfterMs);
  if (isSidecarError(error)) return upstreamFailure(context, error); // INVALID_OPTIONS, UNAUTHENTICATED: our misconfiguration
  if (!isGrpcError(error)) return error;
  const upstreamCode = errorCodeOf(error);
  const details = detailsOf(error);
  switch (error.code) {
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.OUT_OF_RANGE: {
      const status = (upstreamCode !== undefined ? UPSTREAM_CODE_STATUS[upstreamCode] : undefined) ?? 400;
      return new ApiError(status, upstreamCode ?? 'INVALID_ARGUMENT', details || 'the request was refused as invalid');
    }
    case GrpcStatus.NOT_FOUND:
      return notFound(context.notFoundMessage ?? (details || 'not found'));
    case GrpcStatus.PERMISSION_DENIED:
      if (upstreamCode === 'NOT_AUTHOR') return new ApiError(403, 'NOT_AUTHOR', details || 'only the author of a post may do this');
      return upstreamFailure(context, error);
    case GrpcStatus.ALREADY_EXISTS:
    case GrpcStatus.FAILED_PRECONDITION:
      return new ApiError(409, upstreamCode ?? 'CONFLICT', details || 'the request conflicts with the current state');
    default:
      return upstreamFailure(context, error);
  }
}

/** gRPC statuses meaning "the part could not serve this now" (worth retrying later). */
const UNAVAILABLE_GRPC_CODES: ReadonlySet<number> = new Set([GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.RESOURCE_EXHAUSTED, GrpcStatus.CANCELLED]);

/**
 * When `error` means the part is unavailable (so a caller may serve degraded data instead, or a
 * 503), how long to wait before retrying, in ms; `undefined` for any other error.
 * An open breaker says how long it stays open (`retryAfterMs`); other cases use
 * DEFAULT_RETRY_AFTER_MS.
 */
export function unavailabilityOf(error: unknown): number | undefined {
  if (isBrokenCircuitError(error)) return error.retryAfterMs > 0 ? error.retryAfterMs : DEFAULT_RETRY_AFTER_MS;
  if (isSidecarError(error)) return error.code === 'INVALID_OPTIONS' || error.code === 'UNAUTHENTICATED' ? undefined : DEFAULT_RETRY_AFTER_MS;
  if (isGrpcError(error) && UNAVAILABLE_GRPC_CODES.has(error.code)) return DEFAULT_RETRY_AFTER_MS;
  return undefined;
}

/** The 503 of an unavailable part. */
export function partUnavailable(context: Pick<UpstreamErrorContext, 'part' | 'what'>, retryAfterMs: number): ApiError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return unavailable(context.part, `${context.what} unavailable right now; try again in ${seconds} s`, seconds);
}

function upstreamFailure(context: UpstreamErrorContext, cause: unknown): ApiError {
  return new ApiError(502, 'UPSTREAM_ERROR', `${context.what} failing unexpectedly (the ${context.part} service returned an error); the details are in the server logs`, {
    details: { part: context.part },
    cause,
  });
}

/** The machine code in the error's trailing metadata, when it is a well-formed one. */
export function errorCodeOf(error: unknown): string | undefined {
  const metadata = (error as { metadata?: { get?: (key: string) => unknown[] } }).metadata;
  if (typeof metadata?.get !== 'function') return undefined;
  const [value] = metadata.get(ERROR_CODE_METADATA_KEY);
  const code = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
  return code !== undefined && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : undefined;
}

function detailsOf(error: unknown): string {
  const details = (error as { details?: unknown }).details;
  if (typeof details !== 'string') return '';
  return details.length > MAX_RELAYED_MESSAGE ? `${details.slice(0, MAX_RELAYED_MESSAGE - 1)}…` : details;
}
