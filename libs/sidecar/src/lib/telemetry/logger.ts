import { currentCallScope } from '../core/call-scope';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertObject, assertOneOf, assertString, show } from '../core/validate';

/** Log levels, least to most severe. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** A log level: `debug`, `info`, `warn` or `error`. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Extra structured fields of a log line. `Error` values are written as `{name, message, code, stack}`. */
export type LogFields = Record<string, unknown>;

/**
 * The logger the sidecar writes to. Plug your own (pino, winston ...) by implementing this;
 * `isLevelEnabled` lets hot paths skip building fields for lines that would be dropped.
 */
export interface Logger {
  /** Fine-grained detail (one line per call). */
  debug(msg: string, fields?: LogFields): void;
  /** Normal operation (started, draining ...). */
  info(msg: string, fields?: LogFields): void;
  /** Something unexpected that the process survived. */
  warn(msg: string, fields?: LogFields): void;
  /** A failure that needs attention. */
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line it writes. */
  child(fields: LogFields): Logger;
  /** True when lines of `level` are written. */
  isLevelEnabled?(level: LogLevel): boolean;
}

/** Where JSON lines go: anything with a `write(string)` (a stream, or a test buffer). */
export interface LogSink {
  /** Writes one complete line (including the trailing newline). */
  write(line: string): unknown;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Service name written on every line. */
  service: string;
  /** Instance id written on every line. */
  instance: string;
  /** Lowest level written (default `info`). */
  level?: LogLevel;
  /** Destination (default `process.stdout`). */
  sink?: LogSink;
  /** Clock, for tests (default `Date.now`). */
  now?: () => number;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const RESERVED = new Set(['time', 'level', 'service', 'instance', 'traceId', 'spanId', 'msg']);

/**
 * Creates a JSON-lines logger: every line is ONE JSON object
 * `{time, level, service, instance, traceId?, spanId?, msg, ...fields}`. Inside a call scope the
 * trace and span ids are added automatically. Fields never override the reserved keys.
 * @throws InvalidOptionsError on bad options.
 */
export function createLogger(options: LoggerOptions): Logger {
  assertObject('logger options', options);
  const service = assertString('logger.service', options.service);
  const instance = assertString('logger.instance', options.instance);
  const level = assertOneOf('logger.level', options.level ?? 'info', LOG_LEVELS);
  const sink = options.sink ?? process.stdout;
  if (typeof sink !== 'object' || sink === null || typeof (sink as LogSink).write !== 'function') {
    throw new InvalidOptionsError(`logger.sink must have a write(line) method; got ${show(sink)}`);
  }
  return new JsonLogger({ service, instance, minRank: RANK[level], sink, now: options.now ?? Date.now }, undefined);
}

interface LoggerCore {
  readonly service: string;
  readonly instance: string;
  readonly minRank: number;
  readonly sink: LogSink;
  readonly now: () => number;
}

class JsonLogger implements Logger {
  constructor(
    private readonly core: LoggerCore,
    private readonly bound: LogFields | undefined,
  ) {}

  debug(msg: string, fields?: LogFields): void {
    if (RANK.debug >= this.core.minRank) this.write('debug', msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    if (RANK.info >= this.core.minRank) this.write('info', msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    if (RANK.warn >= this.core.minRank) this.write('warn', msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    if (RANK.error >= this.core.minRank) this.write('error', msg, fields);
  }

  child(fields: LogFields): Logger {
    return new JsonLogger(this.core, this.bound === undefined ? { ...fields } : { ...this.bound, ...fields });
  }

  isLevelEnabled(level: LogLevel): boolean {
    return RANK[level] >= this.core.minRank;
  }

  private write(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    const core = this.core;
    const line: Record<string, unknown> = { time: new Date(core.now()).toISOString(), level, service: core.service, instance: core.instance };
    const trace = currentCallScope()?.trace;
    if (trace !== undefined) {
      line['traceId'] = trace.traceId;
      line['spanId'] = trace.spanId;
    }
    line['msg'] = msg;
    if (this.bound !== undefined) copyFields(line, this.bound);
    if (fields !== undefined) copyFields(line, fields);
    let text: string;
    try {
      text = JSON.stringify(line, replacer);
    } catch {
      text = JSON.stringify(line, safeReplacer());
    }
    try {
      core.sink.write(`${text}\n`);
    } catch {
      // a broken sink must never break the caller
    }
  }
}

function copyFields(line: Record<string, unknown>, fields: LogFields): void {
  for (const key in fields) {
    if (!RESERVED.has(key)) line[key] = fields[key];
  }
}

/** Serialises errors and bigints, which JSON.stringify would drop or throw on. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return serializeError(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** Like {@link replacer} but also replaces circular references with "[Circular]". */
function safeReplacer(): (key: string, value: unknown) => unknown {
  const seen = new WeakSet<object>();
  return (key, value) => {
    const out = replacer(key, value);
    if (typeof out === 'object' && out !== null) {
      if (seen.has(out)) return '[Circular]';
      seen.add(out);
    }
    return out;
  };
}

function serializeError(error: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out['code'] = code;
  const details = (error as { details?: unknown }).details;
  if (typeof details === 'string') out['details'] = details;
  if (error.stack !== undefined) out['stack'] = error.stack;
  if (error.cause !== undefined) out['cause'] = error.cause instanceof Error ? serializeError(error.cause) : error.cause;
  return out;
}

/** A logger that drops everything (the default when logging is not wanted). */
export const noopLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => noopLogger,
  isLevelEnabled: () => false,
};

/** True when `logger` writes lines of `level` (loggers without `isLevelEnabled` are assumed to). */
export function isLevelEnabled(logger: Logger, level: LogLevel): boolean {
  return logger.isLevelEnabled === undefined ? true : logger.isLevelEnabled(level);
}
