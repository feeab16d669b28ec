import { describeRedisFailure, redisFailureReason } from './redis-log-reason';

const BIND_FAILURE = [
  'redis-server (restarted replica of :7002) on port 7001 exited (code 1) before answering PING:',
  '412:C 06 Dec 2026 20:01:02.345 * Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=412, just started',
  '412:M 06 Dec 2026 20:01:02.346 * monotonic clock: POSIX clock_gettime',
  '412:M 06 Dec 2026 20:01:02.346 # Warning: Could not create server TCP listening socket 127.0.0.1:7001: bind: Address already in use',
  '412:M 06 Dec 2026 20:01:02.346 # Failed listening on port 7001 (TCP), aborting.',
].join('\n');

describe('the reason of a failed Redis start', () => {
  it('is the line of the Redis log that says why, without its pid and time', () => {
    expect(redisFailureReason(BIND_FAILURE)).toBe('Warning: Could not create server TCP listening socket 127.0.0.1:7001: bind: Address already in use');
    expect(describeRedisFailure(new Error(BIND_FAILURE))).toBe(
      'redis-server (restarted replica of :7002) on port 7001 exited (code 1) before answering PING; Redis log: "Warning: Could not create server TCP listening socket 127.0.0.1:7001: bind: Address already in use"',
    );
  });

  it('falls back to the last warning, and to the first line when the log says nothing', () => {
    expect(redisFailureReason('failed:\n1:M 06 Dec 2026 20:01:02.346 # Something odd happened\n1:M 06 Dec 2026 20:01:02.346 * ok')).toBe('Something odd happened');
    expect(redisFailureReason('*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> \'no-such-directive "x"\'\nBad directive or wrong number of arguments')).toBe(
      'Bad directive or wrong number of arguments',
    );
    expect(describeRedisFailure(new Error('the sentinels still name it the master'))).toBe('the sentinels still name it the master');
  });
});
