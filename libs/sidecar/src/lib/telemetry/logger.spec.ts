import { runInCallScope } from '../core/call-scope';
import { isInvalidOptionsError } from '../core/sidecar.error';
import { createLogger, isLevelEnabled, noopLogger, type LogLevel } from './logger';
import { newTrace } from './trace-context';

function capture(level?: LogLevel) {
  const lines: string[] = [];
  const logger = createLogger({ service: 'likes', instance: 'likes-1', level, sink: { write: (line: string) => lines.push(line) }, now: () => Date.UTC(2030, 0, 2, 3, 4, 5) });
  const parsed = (): Array<Record<string, unknown>> => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, parsed };
}

describe('createLogger', () => {
  it('writes one JSON object per line with the standard fields first', () => {
    const { logger, lines, parsed } = capture();
    logger.info('started', { port: 50051 });
    expect(lines).toHaveLength(1);
    expect(lines[0].endsWith('\n')).toBe(true);
    expect(lines[0].trimEnd()).not.toContain('\n');
    expect(parsed()[0]).toEqual({ time: '2030-01-02T03:04:05.000Z', level: 'info', service: 'likes', instance: 'likes-1', msg: 'started', port: 50051 });
    expect(Object.keys(parsed()[0]).slice(0, 5)).toEqual(['time', 'level', 'service', 'instance', 'msg']);
  });

  it('drops lines below the level', () => {
    const { logger, parsed } = capture('warn');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(parsed().map((l) => l['level'])).toEqual(['warn', 'error']);
    expect(logger.isLevelEnabled?.('info')).toBe(false);
    expect(isLevelEnabled(logger, 'error')).toBe(true);
  });

  it('adds the trace and span ids of the current call scope automatically', () => {
    const { logger, parsed } = capture();
    const trace = newTrace();
    runInCallScope({ deadline: Infinity, trace }, () => logger.info('inside'));
    logger.info('outside');
    const [inside, outside] = parsed();
    expect(inside['traceId']).toBe(trace.traceId);
    expect(inside['spanId']).toBe(trace.spanId);
    expect(outside).not.toHaveProperty('traceId');
  });

  it('keeps trace ids across awaits inside the scope', async () => {
    const { logger, parsed } = capture();
    const trace = newTrace();
    await runInCallScope({ deadline: Infinity, trace }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.warn('after await');
    });
    expect(parsed()[0]['traceId']).toBe(trace.traceId);
  });

  it('binds fields in child loggers without letting fields override reserved keys', () => {
    const { logger, parsed } = capture();
    const child = logger.child({ method: 'Like', service: 'evil' }).child({ caller: 'gateway' });
    child.info('call', { msg: 'nope', level: 'nope', ms: 3 });
    expect(parsed()[0]).toEqual({ time: '2030-01-02T03:04:05.000Z', level: 'info', service: 'likes', instance: 'likes-1', msg: 'call', method: 'Like', caller: 'gateway', ms: 3 });
  });

  it('serialises errors with name, message, code and stack, and survives circular fields', () => {
    const { logger, parsed } = capture();
    const error = Object.assign(new Error('boom'), { code: 'E_BOOM' });
    const circular: Record<string, unknown> = { a: 1 };
    circular['self'] = circular;
    logger.error('failed', { err: error, circular, big: BigInt(7) });
    const line = parsed()[0];
    expect(line['err']).toMatchObject({ name: 'Error', message: 'boom', code: 'E_BOOM' });
    expect(String((line['err'] as Record<string, unknown>)['stack'])).toContain('logger.spec.ts');
    expect(line['circular']).toEqual({ a: 1, self: '[Circular]' });
    expect(line['big']).toBe('7');
  });

  it('never throws when the sink throws', () => {
    const logger = createLogger({ service: 's', instance: 'i', sink: { write: () => { throw new Error('disk full'); } } });
    expect(() => logger.error('x')).not.toThrow();
  });

  it.each([
    [{ service: '', instance: 'i' }, 'logger.service must be a non-empty string; got ""'],
    [{ service: 's', instance: 'i', level: 'loud' }, 'logger.level must be one of "debug", "info", "warn", "error"; got "loud"'],
    [{ service: 's', instance: 'i', sink: {} }, 'logger.sink must have a write(line) method; got {}'],
  ])('rejects bad options %j', (options, message) => {
    let error: unknown;
    try {
      createLogger(options as never);
    } catch (e) {
      error = e;
    }
    expect(isInvalidOptionsError(error)).toBe(true);
    expect((error as Error).message).toBe(message);
  });

  it('offers a no-op logger', () => {
    expect(noopLogger.child({}).isLevelEnabled?.('error')).toBe(false);
    expect(() => noopLogger.error('x')).not.toThrow();
  });
});
