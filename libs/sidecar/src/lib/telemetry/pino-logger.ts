import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import { currentCallScope } from '../core/call-scope';
import { LOG_LEVELS, type LogLevel } from './logger';

/** Options of {@link createPinoLogger}. */
export interface PinoLoggerOptions {
  /** Service name on every line. */
  readonly service: string;
  /** Instance id on every line. */
  readonly instance: string;
  /** Zone on every line (omitted when empty). */
  readonly zone?: string;
  /** Lowest level written (default `info`). */
  readonly level?: LogLevel;
  /**
   * `json` (one JSON object per line), `pretty` (colourised, for a terminal) or `auto` (default:
   * pretty when stdout is a TTY, JSON otherwise, so files and pipes always get JSON).
   */
  readonly format?: 'json' | 'pretty' | 'auto';
  /** Destination (default stdout, written synchronously so no line is lost at exit). */
  readonly destination?: DestinationStream;
}

/**
 * A pino logger writing the platform's one line format: `{level, time, service, instance, zone,
 * traceId?, spanId?, msg, ...}` with the level as its label (`info`) and an ISO time, and the trace
 * and span ids of the sidecar call scope in force (the request being served), like the sidecar's
 * own logger.
 */
export function createPinoLogger(options: PinoLoggerOptions): PinoLogger {
  const level = options.level !== undefined && LOG_LEVELS.includes(options.level) ? options.level : 'info';
  const format = options.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && options.destination === undefined && process.stdout.isTTY === true);
  const destination = options.destination ?? (pretty ? prettyStream() : pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      level,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      base: { service: options.service, instance: options.instance, ...(options.zone ? { zone: options.zone } : {}) },
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const trace = currentCallScope()?.trace;
        return trace === undefined ? {} : { traceId: trace.traceId, spanId: trace.spanId };
      },
    },
    destination,
  );
}

/** pino-pretty as a synchronous stream on stdout. */
function prettyStream(): DestinationStream {
  const pretty = require('pino-pretty') as (options: Record<string, unknown>) => DestinationStream;
  return pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
}
