import { SidecarError } from '../core/sidecar.error';

/** Raised when environment configuration is missing or invalid; lists every bad variable. */
export class ConfigError extends SidecarError {
  /** @param problems one line per bad variable, naming it and the bad value. */
  constructor(readonly problems: readonly string[]) {
    super('INVALID_OPTIONS', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** True when `error` is a ConfigError. */
export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError;
}

/** Parses one environment variable; throws a message (without the name) when invalid. */
export interface EnvField<T> {
  /** Parses the raw value (undefined when unset). */
  parse(raw: string | undefined): T;
  /** Human description of what is accepted, for error messages and `--help`. */
  readonly describe: string;
}

type FieldOptions<T> = { default?: T; optional?: boolean };

function field<T>(describe: string, parse: (raw: string) => T, options: FieldOptions<T> = {}): EnvField<T> {
  return {
    describe,
    parse(raw) {
      if (raw === undefined || raw.trim() === '') {
        if (options.default !== undefined) return options.default;
        if (options.optional) return undefined as T;
        throw new Error(`is required (${describe})`);
      }
      return parse(raw.trim());
    },
  };
}

/** Field builders for `readEnvConfig`. */
export const env = {
  /** A TCP port 0-65535 (0 = pick a free one). */
  port(options?: FieldOptions<number>): EnvField<number> {
    return field('a port number from 0 to 65535', (raw) => {
      const value = Number(raw);
      if (!/^\d+$/.test(raw) || value > 65535) throw new Error(`must be a port number from 0 to 65535; got ${JSON.stringify(raw)}`);
      return value;
    }, options);
  },
  /** An integer within [min, max]. */
  int(min: number, max: number, options?: FieldOptions<number>): EnvField<number> {
    return field(`an integer from ${min} to ${max}`, (raw) => {
      const value = Number(raw);
      if (!/^-?\d+$/.test(raw) || value < min || value > max) throw new Error(`must be an integer from ${min} to ${max}; got ${JSON.stringify(raw)}`);
      return value;
    }, options);
  },
  /** A free-form string with an optional minimum length. */
  string(options?: FieldOptions<string> & { minLength?: number; pattern?: RegExp }): EnvField<string> {
    const min = options?.minLength ?? 1;
    return field(options?.pattern ? `a string matching ${options.pattern}` : `a string of at least ${min} characters`, (raw) => {
      if (raw.length < min) throw new Error(`must be at least ${min} characters long; got ${raw.length}`);
      if (options?.pattern && !options.pattern.test(raw)) throw new Error(`must match ${options.pattern}; got ${JSON.stringify(raw)}`);
      return raw;
    }, options);
  },
  /** One of a fixed set of words. */
  oneOf<T extends string>(allowed: readonly T[], options?: FieldOptions<T>): EnvField<T> {
    return field(`one of ${allowed.join(', ')}`, (raw) => {
      if (!allowed.includes(raw as T)) throw new Error(`must be one of ${allowed.join(', ')}; got ${JSON.stringify(raw)}`);
      return raw as T;
    }, options);
  },
  /** A comma-separated list of `host:port` addresses. */
  hostPorts(options?: FieldOptions<Array<{ host: string; port: number }>>): EnvField<Array<{ host: string; port: number }>> {
    return field('a comma-separated list of host:port', (raw) =>
      raw.split(',').map((part) => {
        const match = /^\[?([^\]\s]+?)\]?:(\d{1,5})$/.exec(part.trim());
        if (!match || Number(match[2]) > 65535 || Number(match[2]) === 0) {
          throw new Error(`must be a comma-separated list of host:port; bad entry ${JSON.stringify(part)}`);
        }
        return { host: match[1], port: Number(match[2]) };
      }),
    options);
  },
};

/** The parsed type of a schema. */
export type EnvConfig<S extends Record<string, EnvField<unknown>>> = { [K in keyof S]: S[K] extends EnvField<infer T> ? T : never };

/**
 * Reads and validates every variable of `schema` from `source` (default `process.env`).
 * Collects all problems before failing, so one run shows every bad variable.
 * @throws ConfigError naming each bad or missing variable and its value.
 */
export function readEnvConfig<S extends Record<string, EnvField<unknown>>>(schema: S, source: NodeJS.ProcessEnv = process.env): EnvConfig<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema)) {
    try {
      out[name] = spec.parse(source[name]);
    } catch (error) {
      problems.push(`${name} ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as EnvConfig<S>;
}
