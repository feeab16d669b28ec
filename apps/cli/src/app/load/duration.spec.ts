import { UsageError } from '../args';
import { formatDuration, parseDuration, parseRate } from './duration';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1500ms', 1500],
    ['1h', 3_600_000],
    ['45000', 45_000],
    ['1.5s', 1500],
    [' 10S ', 10_000],
  ])('%s → %d ms', (raw, ms) => {
    expect(parseDuration(raw)).toBe(ms);
  });

  it.each(['', '0', '0s', '-5s', 'abc', '5 minutes', '10x', 's', '1m-3s', 'NaN'])('rejects %j naming the flag and the value', (raw) => {
    expect(() => parseDuration(raw, '--for')).toThrow(UsageError);
    expect(() => parseDuration(raw, '--for')).toThrow(`--for must be a positive duration like 30s, 2m, 1m30s or 500ms; got ${JSON.stringify(raw)}`);
  });

  it('reads a bare number as milliseconds, like every duration flag, and refuses runs under a second with a hint', () => {
    expect(() => parseDuration('45', '--for')).toThrow('--for must be at least 1s; got "45" (a bare number is milliseconds: did you mean 45s?)');
    expect(() => parseDuration('500ms', '--for')).toThrow('--for must be at least 1s; got "500ms"');
  });
});

describe('parseRate', () => {
  it('accepts positive numbers up to the cap', () => {
    expect(parseRate('20')).toBe(20);
    expect(parseRate('0.5')).toBe(0.5);
    expect(parseRate('2000')).toBe(2000);
  });

  it.each(['0', '-1', 'fast', '', '2001', '1e3', '10/s'])('rejects %j', (raw) => {
    expect(() => parseRate(raw)).toThrow(/--rate must be a number of requests per second above 0 and at most 2000; got/);
  });
});

describe('formatDuration', () => {
  it('formats ms, seconds and minutes', () => {
    expect(formatDuration(450)).toBe('450 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(90_000)).toBe('1m 30s');
  });
});
