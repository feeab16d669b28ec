import { formatDuration, parseDuration, parseFlags, UsageError } from './args';

describe('durations (--every, --for, --delay of the chaos commands)', () => {
  it('accepts 500ms, 3s, 1.5s, 2m, 1h and plain milliseconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('3s')).toBe(3000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration(' 4s ')).toBe(4000);
    expect(parseDuration('1m30s')).toBe(90_000);
  });

  it('rejects what is not a duration', () => {
    for (const bad of ['3x', '', 's', '-1s', '1.s', '3 s', '1e3', 'ms', '2d', '1m30']) expect(parseDuration(bad)).toBeUndefined();
  });

  it('formats durations for messages', () => {
    expect(formatDuration(500)).toBe('500ms');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(3000)).toBe('3s');
    expect(formatDuration(120_000)).toBe('2m');
    expect(formatDuration(3_600_000)).toBe('1h');
  });

  it('a duration flag parses to ms and names the flag, the bounds and the bad value', () => {
    const specs = [{ name: 'every', type: 'duration', min: 100, max: 60_000, description: 'x' }] as const;
    expect(parseFlags('failsoft monkey', specs, ['--every', '3s'])).toEqual({ every: 3000 });
    expect(parseFlags('failsoft monkey', specs, ['--every=750'])).toEqual({ every: 750 });
    expect(() => parseFlags('failsoft monkey', specs, ['--every', '3x'])).toThrow(UsageError);
    expect(() => parseFlags('failsoft monkey', specs, ['--every', '3x'])).toThrow('failsoft monkey: --every must be a duration from 100ms to 1m like 500ms, 3s, 2m or plain milliseconds; got "3x"');
    expect(() => parseFlags('failsoft monkey', specs, ['--every', '50ms'])).toThrow(/from 100ms to 1m/);
    expect(() => parseFlags('failsoft monkey', specs, ['--every', '2m'])).toThrow(/got "2m"/);
  });

  it('positional arguments are stored under their names; extra ones are rejected', () => {
    const positionals = [{ name: 'target', valueName: '<service>', description: 'what', required: true }];
    expect(parseFlags('failsoft kill', [{ name: 'one', type: 'boolean', description: 'x' }], ['--one', 'likes'], positionals)).toEqual({ one: true, target: 'likes' });
    expect(() => parseFlags('failsoft kill', [], ['likes', 'feed'], positionals)).toThrow('failsoft kill: unexpected argument "feed"');
    expect(() => parseFlags('failsoft kill', [], [], positionals)).toThrow(/missing <service>/);
  });
});
