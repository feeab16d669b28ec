import { Metadata, status } from '@grpc/grpc-js';
import { GrpcError } from '@failsoft/sidecar';
import { CONTRACT_LIMITS, ERROR_CODE_METADATA_KEY, ID_PATTERN, MAX_ID_LENGTH } from '@failsoft/contracts';


/** Builds an INVALID_ARGUMENT error with its machine code in the `x-failsoft-error-code` trailer. */
export function invalidArgument(code: string, message: string): GrpcError {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_METADATA_KEY, code);
  return new GrpcError(status.INVALID_ARGUMENT, message, message, metadata);
}

/** Shows a client-supplied value in an error message, shortened so a huge value cannot bloat it. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Checks one id and returns it.
 * @param field the request field, named in the message (e.g. `post_id`).
 * @throws GrpcError INVALID_ARGUMENT (code `INVALID_ID`) saying what is accepted.
 */
export function assertId(field: string, value: unknown): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
    const why = typeof value !== 'string' || value === '' ? 'is required' : value.length > MAX_ID_LENGTH ? `is ${value.length} characters long` : 'has a character outside the allowed set';
    throw invalidArgument('INVALID_ID', `${field} ${why}: it must be 1-${MAX_ID_LENGTH} characters of letters, digits and . _ : @ -; got ${show(value)}`);
  }
  return value;
}

/**
 * Checks the post ids of a Counts request and returns them de-duplicated, in request order.
 * @throws GrpcError INVALID_ARGUMENT: `BATCH_TOO_LARGE` above `CONTRACT_LIMITS.countsBatchMax`
 *   ids, `INVALID_ID` naming the first bad id and its index.
 */
export function assertPostIds(values: unknown): string[] {
  const list = Array.isArray(values) ? values : [];
  if (list.length > CONTRACT_LIMITS.countsBatchMax) {
    throw invalidArgument('BATCH_TOO_LARGE', `post_ids has ${list.length} ids; at most ${CONTRACT_LIMITS.countsBatchMax} are allowed per Counts call`);
  }
  list.forEach((id, i) => assertId(`post_ids[${i}]`, id));
  return [...new Set(list as string[])];
}

/** Checks an optional viewer id: '' (unset) gives undefined, anything else must be a valid id. */
export function optionalViewerId(value: unknown): string | undefined {
  return value === undefined || value === '' ? undefined : assertId('viewer_id', value);
}

/** Idempotency keys: 1 to `CONTRACT_LIMITS.idempotencyKeyMaxLength` printable ASCII characters (the gateway accepts a narrower set). */
const IDEMPOTENCY_KEY = new RegExp(`^[\\x21-\\x7e]{1,${CONTRACT_LIMITS.idempotencyKeyMaxLength}}$`);

/**
 * The `idempotency_key` of a Like/Unlike: `undefined` when empty (none).
 * @throws GrpcError INVALID_ARGUMENT (code `INVALID_IDEMPOTENCY_KEY`) saying what is accepted.
 */
export function optionalIdempotencyKey(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY.test(value)) {
    throw invalidArgument('INVALID_IDEMPOTENCY_KEY', `idempotency_key must be 1-${CONTRACT_LIMITS.idempotencyKeyMaxLength} printable ASCII characters without spaces; got ${show(value)}`);
  }
  return value;
}
