import { Metadata, status } from '@grpc/grpc-js';
import { GrpcError } from '@failsoft/sidecar';
import { ERROR_CODE_METADATA_KEY, isValidId, MAX_ID_LENGTH } from '@failsoft/contracts';

/** Builds an INVALID_ARGUMENT error with its machine code in the `x-failsoft-error-code` trailer. */
export function invalidArgument(code: string, message: string): GrpcError {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_METADATA_KEY, code);
  return new GrpcError(status.INVALID_ARGUMENT, message, message, metadata);
}

/** Shows a client-supplied value in an error message, shortened so a huge value cannot bloat it. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
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
