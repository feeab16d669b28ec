import { rateLimitedErrorLog } from './error-log';

describe('rateLimitedErrorLog', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('logs the first error at once, then at most one line per interval with the suppressed count', () => {
    const lines: string[] = [];
    const log = rateLimitedErrorLog({ warn: (m) => lines.push(m) }, 'redis x', 5000);
    log(new Error('connect ECONNREFUSED'));
    for (let i = 0; i < 50; i++) {
      jest.advanceTimersByTime(50);
      log(new Error('connect ECONNREFUSED'));
    }
    expect(lines).toEqual(['redis x: connect ECONNREFUSED']);
    jest.advanceTimersByTime(2500);
    log(new Error('connect ETIMEDOUT'));
    expect(lines).toEqual(['redis x: connect ECONNREFUSED', 'redis x: connect ETIMEDOUT (+50 similar errors in the last 5 s)']);
  });

  it('survives a logger that throws', () => {
    const log = rateLimitedErrorLog(
      {
        warn: () => {
          throw new Error('broken logger');
        },
      },
      'redis',
      1000,
    );
    expect(() => log(new Error('x'))).not.toThrow();
  });
});
