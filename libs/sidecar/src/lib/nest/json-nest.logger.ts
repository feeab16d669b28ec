import type { LoggerService } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';

/**
 * Nest's own log lines (bootstrap, routes, exceptions) through pino, so a service writes one JSON
 * line format only. Nest's `log`/`verbose`/`debug` are debug lines (its start-up chatter stays out
 * at the default level); `warn`, `error` and `fatal` keep their level. The Nest context (`RoutesResolver`
 * ...) goes in a `context` field; an error's stack in `stack`.
 */
export class JsonNestLogger implements LoggerService {
  /** @param pino the process's pino logger. */
  constructor(private readonly pino: PinoLogger) {}

  /** Nest `log` (debug). */
  log(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  /** Nest `verbose` (debug). */
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  /** Nest `debug`. */
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  /** Nest `warn`. */
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  /** Nest `error`: `(message, stack?, context?)`. */
  error(message: unknown, ...params: unknown[]): void {
    const fields: Record<string, unknown> = {};
    const [first, second] = params;
    if (typeof first === 'string' && params.length >= 2) {
      fields['stack'] = first;
      if (typeof second === 'string') fields['context'] = second;
    } else if (typeof first === 'string' && first.includes('\n')) {
      fields['stack'] = first;
    } else if (typeof first === 'string') {
      fields['context'] = first;
    }
    this.emit('error', message, fields);
  }

  /** Nest `fatal`. */
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: 'debug' | 'warn' | 'fatal', message: unknown, params: unknown[]): void {
    const context = params[params.length - 1];
    this.emit(level, message, typeof context === 'string' ? { context } : {});
  }

  private emit(level: 'debug' | 'warn' | 'error' | 'fatal', message: unknown, fields: Record<string, unknown>): void {
    if (message instanceof Error) this.pino[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.pino[level]({ ...fields, ...(message as Record<string, unknown>) }, '');
    else this.pino[level](fields, String(message));
  }
}
