import type { Long } from '@grpc/proto-loader';
import { ContractsError } from './contracts.error';

/**
 * Converts an int64 field value (a decimal string as received with `longs: String`, a number,
 * or a Long) to a JS number. Throws `ContractsError('UNSAFE_INT64')` when it is not an integer
 * or lies outside ±(2^53 - 1), where a number would silently lose precision. Counts, fencing
 * tokens and millisecond timestamps fit comfortably.
 *
 * @param value the field value.
 * @param field name used in the error message (e.g. `'likeCount'`).
 */
export function int64ToNumber(value: string | number | Long, field = 'int64 value'): number {
  let parsed = NaN;
  if (typeof value === 'number') {
    parsed = value;
  } else if (value !== null && value !== undefined) {
    const text = String(value).trim();
    if (/^-?\d+$/.test(text)) parsed = Number(text);
  }
  if (!Number.isSafeInteger(parsed)) {
    throw new ContractsError(
      'UNSAFE_INT64',
      `${field} ${JSON.stringify(String(value))} is not an integer within ±${Number.MAX_SAFE_INTEGER}; read it as a string instead.`,
    );
  }
  return parsed;
}
