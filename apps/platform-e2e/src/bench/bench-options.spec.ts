import { BenchOptionError, parseBenchOptions } from './bench-options';

function errorOf(argv: string[], env: NodeJS.ProcessEnv = {}): BenchOptionError {
  try {
    parseBenchOptions(argv, env);
  } catch (error) {
    if (error instanceof BenchOptionError) return error;
    throw error;
  }
  throw new Error(`parseBenchOptions(${JSON.stringify(argv)}) did not throw`);
}

describe('parseBenchOptions', () => {
  it('has defaults that keep a full run short (3 levels, 3 rounds, 1 s + 4 s windows)', () => {
    expect(parseBenchOptions([])).toEqual({ concurrency: [1, 8, 32], durationMs: 4000, warmupMs: 1000, rounds: 3, verbose: false, help: false });
  });

  it('reads flags (both spellings), falls back to the environment, and flags win over it', () => {
    const env = { BENCH_PLATFORM_CONCURRENCY: '2,4', BENCH_PLATFORM_DURATION: '2s', BENCH_PLATFORM_ROUNDS: '5', BENCH_PLATFORM_WARMUP: '' };
    expect(parseBenchOptions(['--rounds=1', '--verbose', '--warmup', '0'], env)).toEqual({ concurrency: [2, 4], durationMs: 2000, warmupMs: 0, rounds: 1, verbose: true, help: false });
    expect(parseBenchOptions(['--concurrency', '16', '--duration', '1m'], env)).toMatchObject({ concurrency: [16], durationMs: 60_000, rounds: 5 });
  });

  it.each([
    [['--level', '3'], /unknown argument "--level"; flags: --concurrency, --duration/],
    [['8'], /unknown argument "8"/],
    [['--concurrency'], /--concurrency needs a value \(e\.g\. --concurrency 1,8,32\)/],
    [['--concurrency', '--verbose'], /--concurrency needs a value/],
    [['--concurrency', '0,8'], /--concurrency \(each level\) must be an integer from 1 to 256; got "0"/],
    [['--concurrency', '1,x'], /must be an integer from 1 to 256; got "x"/],
    [['--concurrency', '300'], /got "300"/],
    [['--concurrency', '8,8'], /--concurrency lists a level twice; got "8,8"/],
    [['--duration', '500ms'], /--duration must be a duration from 1000 ms to 300 s like 4s or 500ms; got "500ms"/],
    [['--duration', 'soon'], /--duration must be a duration .* got "soon"/],
    [['--warmup', '2m'], /--warmup must be a duration from 0 ms to 60 s .* got "2m"/],
    [['--rounds', '0'], /--rounds must be an integer from 1 to 20; got "0"/],
    [['--rounds', '2.5'], /got "2\.5"/],
    [['--verbose=yes'], /--verbose takes no value; got "--verbose=yes"/],
  ])('refuses %j with a message naming the flag and the value', (argv, message) => {
    const error = errorOf(argv);
    expect(error.code).toBe('BAD_BENCH_OPTION');
    expect(error.message).toMatch(message);
  });

  it('names the environment variable when its value is bad', () => {
    expect(errorOf([], { BENCH_PLATFORM_ROUNDS: 'many' }).message).toBe('BENCH_PLATFORM_ROUNDS must be an integer from 1 to 20; got "many"');
    expect(errorOf([], { BENCH_PLATFORM_CONCURRENCY: '1,,8' }).message).toMatch(/^BENCH_PLATFORM_CONCURRENCY \(each level\) must be an integer from 1 to 256; got ""/);
  });
});
