import { InvalidArgumentError, StateOptionsError } from './state.error';

/** Shows a bad value in an error message (strings quoted, objects as JSON, cut short). */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  try {
    const json = JSON.stringify(value);
    if (json === undefined) return Object.prototype.toString.call(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Which error class a check raises: options are validated at construction, arguments per call. */
export type ErrorKind = 'options' | 'argument';

/** Raises the right error class for `kind`. */
export function fail(kind: ErrorKind, message: string): never {
  throw kind === 'options' ? new StateOptionsError(message) : new InvalidArgumentError(message);
}

/** Checks `value` is an integer within [min, max]; throws naming `name` and the value. */
export function assertInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER, kind: ErrorKind = 'options'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    fail(kind, `${name} must be an integer ${range}; got ${show(value)}`);
  }
  return value;
}

/** Checks `value` is a non-empty string; throws naming `name` and the value. */
export function assertString(name: string, value: unknown, kind: ErrorKind = 'options'): string {
  if (typeof value !== 'string' || value.trim() === '') fail(kind, `${name} must be a non-empty string; got ${show(value)}`);
  return value;
}

/** Checks `value` is a plain object (or undefined, giving `{}`); throws naming `name` and the value. */
export function assertObject(name: string, value: unknown, kind: ErrorKind = 'options'): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(kind, `${name} must be an object; got ${show(value)}`);
  return value as Record<string, unknown>;
}

/** Checks `value` is a boolean (or undefined, giving `fallback`). */
export function assertBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail('options', `${name} must be true or false; got ${show(value)}`);
  return value;
}

/** Rejects keys of `options` that are not in `known` (typos silently ignored are bugs later). */
export function assertKnownKeys(name: string, options: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      fail('options', `${name}.${key} is not a known option (known: ${known.join(', ')}); got ${show(options[key])}`);
    }
  }
}
