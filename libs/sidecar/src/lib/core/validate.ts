import { InvalidOptionsError } from './sidecar.error';

/** Shows a bad value in an error message (strings quoted, objects as JSON, cut short). */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return String(value);
  try {
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Checks `value` is a finite number within [min, max]; throws naming `name` and the value. */
export function assertNumber(name: string, value: unknown, min = -Infinity, max = Infinity, integer = false): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'an integer' : 'a number';
    const range = min === -Infinity && max === Infinity ? '' : max === Infinity ? ` >= ${min}` : min === -Infinity ? ` <= ${max}` : ` from ${min} to ${max}`;
    throw new InvalidOptionsError(`${name} must be ${kind}${range}; got ${show(value)}`);
  }
  return value;
}

/** Checks `value` is a non-empty string; throws naming `name` and the value. */
export function assertString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidOptionsError(`${name} must be a non-empty string; got ${show(value)}`);
  }
  return value;
}

/** Checks `value` is one of `allowed`; throws naming `name`, the value and the choices. */
export function assertOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new InvalidOptionsError(`${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}; got ${show(value)}`);
  }
  return value as T;
}

/** Checks `value` is a plain object (or undefined when `optional`). */
export function assertObject(name: string, value: unknown, optional = false): Record<string, unknown> {
  if (value === undefined && optional) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionsError(`${name} must be an object; got ${show(value)}`);
  }
  return value as Record<string, unknown>;
}
