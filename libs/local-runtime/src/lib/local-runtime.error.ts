/** Stable machine-readable codes of every error @failsoft/local-runtime raises. */
export type LocalRuntimeErrorCode =
  | 'REDIS_SERVER_MISSING'
  | 'INVALID_OPTIONS'
  | 'PROCESS_FAILED'
  | 'TIMEOUT'
  | 'REDIS_REPLY';

/** Base class of the errors of @failsoft/local-runtime: carries a stable `code` to branch on (never parse messages). */
export class LocalRuntimeError extends Error {
  /** @param code stable code; @param message what went wrong and what to do. */
  constructor(
    readonly code: LocalRuntimeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** True when `error` is any error of @failsoft/local-runtime (optionally of the given code). */
export function isLocalRuntimeError(error: unknown, code?: LocalRuntimeErrorCode): error is LocalRuntimeError {
  return error instanceof LocalRuntimeError && (code === undefined || error.code === code);
}

/** Raised when the `redis-server` binary cannot be found; the message says how to install it. */
export class RedisServerMissingError extends LocalRuntimeError {
  /** @param searched the folders that were searched. */
  constructor(readonly searched: readonly string[]) {
    super(
      'REDIS_SERVER_MISSING',
      `redis-server was not found (searched REDIS_SERVER_BIN and PATH: ${searched.join(':') || '<empty>'}); ` +
        'the integration tests need a real Redis, install it: apt-get install redis-server (Debian/Ubuntu), ' +
        'brew install redis (macOS), or set REDIS_SERVER_BIN to the path of a redis-server binary (Redis >= 6.2).',
    );
  }
}

/** True when `error` is a RedisServerMissingError. */
export function isRedisServerMissingError(error: unknown): error is RedisServerMissingError {
  return error instanceof RedisServerMissingError;
}

/** Raised when an option of @failsoft/local-runtime is invalid; the message names the option and the bad value. */
export class InvalidRuntimeOptionsError extends LocalRuntimeError {
  /** @param message names the option, the bad value and what is accepted. */
  constructor(message: string) {
    super('INVALID_OPTIONS', message);
  }
}

/** True when `error` is an InvalidRuntimeOptionsError. */
export function isInvalidRuntimeOptionsError(error: unknown): error is InvalidRuntimeOptionsError {
  return error instanceof InvalidRuntimeOptionsError;
}

/** Raised by `waitUntil`/`waitForOutput` and friends when a condition is not met in time. */
export class WaitTimeoutError extends LocalRuntimeError {
  /** @param message what was awaited, for how long, and the last observation. */
  constructor(message: string, options?: { cause?: unknown }) {
    super('TIMEOUT', message, options);
  }
}

/** True when `error` is a WaitTimeoutError. */
export function isWaitTimeoutError(error: unknown): error is WaitTimeoutError {
  return error instanceof WaitTimeoutError;
}

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

/** Checks `value` is an integer within [min, max]; throws naming `name` and the value. */
export function assertInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new InvalidRuntimeOptionsError(`${name} must be an integer ${range}; got ${show(value)}`);
  }
  return value;
}
