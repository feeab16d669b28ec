import { Metadata, status } from '@grpc/grpc-js';
import { GrpcError } from '@failsoft/sidecar';

/** Longest post or user id accepted, in characters. */
export const MAX_ID_LENGTH = 128;

/** Post and user ids: 1-128 characters of letters, digits and `. _ : @ -` (the likes service's rule). */
export const ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;

/** Trailer naming a machine-readable error code (see docs/platform.md). */
export const ERROR_CODE_TRAILER = 'x-failsoft-error-code';

/** Builds an INVALID_ARGUMENT error with its machine code in the `x-failsoft-error-code` trailer. */
export function invalidArgument(code: string, message: string): GrpcError {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_TRAILER, code);
  return new GrpcError(status.INVALID_ARGUMENT, message, message, metadata);
}

/** Shows a client-supplied value in an error message, shortened so a huge value cannot bloat it. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** True when `value` is a valid post or user id. */
export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/**
 * Checks an optional viewer id: '' (unset) gives undefined, anything else must be a valid id.
 * @throws GrpcError INVALID_ARGUMENT (`INVALID_ID`).
 */
export function optionalViewerId(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!isValidId(value)) throw invalidArgument('INVALID_ID', `viewer_id must be 1-${MAX_ID_LENGTH} characters of letters, digits and . _ : @ -; got ${show(value)}`);
  return value;
}

/**
 * A page size: 0 means `defaultSize`; 1..`max` is taken as is.
 * @throws GrpcError INVALID_ARGUMENT (`INVALID_LIMIT`) above `max`.
 */
export function pageLimit(value: number, defaultSize: number, max: number): number {
  if (value === 0) return defaultSize;
  if (!Number.isInteger(value) || value < 0 || value > max) throw invalidArgument('INVALID_LIMIT', `limit must be from 0 (default ${defaultSize}) to ${max}; got ${value}`);
  return value;
}
