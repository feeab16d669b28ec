import { Writable } from 'node:stream';
import { runInCallScope } from '../core/call-scope';
import { JsonNestLogger } from '../nest/json-nest.logger';
import { createPinoLogger } from './pino-logger';
import { newTrace } from './trace-context';

function capture(level?: 'debug' | 'info') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      done();
    },
  });
  const logger = createPinoLogger({ service: 'likes', instance: 'likes-1', zone: 'zone-a', level, destination });
  return { logger, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createPinoLogger', () => {
  it('writes the platform line format: level label, ISO time, service, instance, zone, msg', () => {
    const { logger, parsed } = capture();
    logger.info({ port: 8080 }, 'listening');
    const [line] = parsed();
    expect(line).toMatchObject({ level: 'info', service: 'likes', instance: 'likes-1', zone: 'zone-a', msg: 'listening', port: 8080 });
    expect(new Date(String(line['time'])).toISOString()).toBe(line['time']);
    expect(line['traceId']).toBeUndefined();
  });

  it('adds the trace and span ids of the call scope in force', () => {
    const { logger, parsed } = capture();
    const trace = newTrace();
    runInCallScope({ deadline: Infinity, trace }, () => logger.warn('inside'));
    expect(parsed()[0]).toMatchObject({ level: 'warn', traceId: trace.traceId, spanId: trace.spanId, msg: 'inside' });
  });
});

describe('JsonNestLogger', () => {
  it("turns Nest's own lines into JSON: log as debug with its context, errors with their stack", () => {
    const { logger, parsed } = capture('debug');
    const nest = new JsonNestLogger(logger);
    nest.log('Nest application successfully started', 'NestApplication');
    nest.error('boom', 'Error: boom\n    at x', 'ExceptionsHandler');
    nest.warn('careful');
    nest.error(new Error('thrown'));
    const [log, error, warn, thrown] = parsed();
    expect(log).toMatchObject({ level: 'debug', msg: 'Nest application successfully started', context: 'NestApplication' });
    expect(error).toMatchObject({ level: 'error', msg: 'boom', stack: 'Error: boom\n    at x', context: 'ExceptionsHandler' });
    expect(warn).toMatchObject({ level: 'warn', msg: 'careful' });
    expect(thrown).toMatchObject({ level: 'error', msg: 'thrown' });
    expect((thrown['err'] as { message: string }).message).toBe('thrown');
  });

  it('drops debug lines at the default level (Nest start-up chatter stays out)', () => {
    const { logger, parsed } = capture();
    new JsonNestLogger(logger).log('Mapped {/api, GET} route', 'RouterExplorer');
    expect(parsed()).toEqual([]);
  });
});
