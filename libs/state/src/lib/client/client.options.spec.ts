import { isStateOptionsError } from '../state.error';
import { parseSentinels, resolveRedisOptions, resolveSentinelOptions } from './client.options';
import { createRedisClient, createSentinelClient, reconnectOnReadonly, backoff } from './create-client';

/** Runs `make` and returns what it threw. */
function thrown(make: () => unknown): unknown {
  try {
    make();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('client options', () => {
  const sentinels = [{ host: '127.0.0.1', port: 26000 }];

  it('fills failover-friendly defaults', () => {
    const o = resolveSentinelOptions({ sentinels, masterName: 'failsoft' });
    expect(o).toMatchObject({
      role: 'master',
      watchFailover: true,
      connectTimeoutMs: 2000,
      commandTimeoutMs: 5000,
      maxOfflineQueue: 1000,
      maxRetriesPerRequest: 10,
      retryBaseMs: 50,
      retryMaxMs: 2000,
      errorLogIntervalMs: 10_000,
    });
    expect(resolveRedisOptions({ port: 7000 })).toMatchObject({ host: '127.0.0.1', port: 7000 });
  });

  it.each([
    [{ sentinels: [], masterName: 'm' }, 'sentinelClient.sentinels must be a non-empty array of { host, port }; got []'],
    [{ sentinels: [{ host: 'h', port: 'x' }], masterName: 'm' }, 'sentinelClient.sentinels[0].port must be an integer from 1 to 65535; got "x"'],
    [{ sentinels: [{ host: '', port: 1 }], masterName: 'm' }, 'sentinelClient.sentinels[0].host must be a non-empty string; got ""'],
    [{ sentinels, masterName: '' }, 'sentinelClient.masterName must be a non-empty string; got ""'],
    [{ sentinels, masterName: 'm', role: 'primary' }, 'sentinelClient.role must be "master" or "slave"; got "primary"'],
    [{ sentinels, masterName: 'm', maxOfflineQueue: -1 }, 'sentinelClient.maxOfflineQueue must be an integer from 0 to 10000000; got -1'],
    [{ sentinels, masterName: 'm', retryBaseMs: 500, retryMaxMs: 100 }, 'sentinelClient.retryMaxMs must be an integer from 500 to 300000; got 100'],
    [{ sentinels, masterName: 'm', logger: console.log }, 'sentinelClient.logger must be an object with a warn(message) method; got a function'],
    [{ sentinels, masterName: 'm', comandTimeoutMs: 5 }, 'sentinelClient.comandTimeoutMs is not a known option'],
    ['redis://x', 'sentinelClient options must be an object; got "redis://x"'],
  ])('rejects %j', (options, message) => {
    const error = thrown(() => createSentinelClient(options as never));
    expect(isStateOptionsError(error)).toBe(true);
    expect((error as Error).message.startsWith(message)).toBe(true);
  });

  it('rejects a bad plain address', () => {
    expect((thrown(() => createRedisClient({ port: 70000 })) as Error).message).toBe('redisClient.port must be an integer from 1 to 65535; got 70000');
  });

  it('takes ACL credentials for the data nodes and the sentinels, and refuses incomplete or empty ones at construction', () => {
    const resolved = resolveSentinelOptions({ sentinels, masterName: 'm', username: 'likes', password: 'p'.repeat(20), sentinelPassword: 's'.repeat(20) });
    expect(resolved).toMatchObject({ username: 'likes', password: 'p'.repeat(20), sentinelPassword: 's'.repeat(20) });
    expect((thrown(() => resolveSentinelOptions({ sentinels, masterName: 'm', username: 'likes' })) as Error).message).toBe(
      'sentinelClient.username "likes" needs sentinelClient.password (ACL users here always have a password); got no password',
    );
    expect((thrown(() => resolveSentinelOptions({ sentinels, masterName: 'm', sentinelUsername: 'watcher' })) as Error).message).toMatch(/sentinelClient\.sentinelUsername "watcher" needs sentinelClient\.sentinelPassword/);
    expect(isStateOptionsError(thrown(() => resolveRedisOptions({ port: 7000, password: '' })))).toBe(true);
    expect((thrown(() => resolveRedisOptions({ port: 7000, password: 42 })) as Error).message).toMatch(/^redisClient\.password must be a non-empty string/);
  });

  it('parses sentinel lists from env vars, naming the bad entry', () => {
    expect(parseSentinels('127.0.0.1:26379, redis-sentinel:26380,[::1]:5')).toEqual([
      { host: '127.0.0.1', port: 26379 },
      { host: 'redis-sentinel', port: 26380 },
      { host: '::1', port: 5 },
    ]);
    expect((thrown(() => parseSentinels('a:1,b')) as Error).message).toBe('REDIS_SENTINELS entry 2 must be host:port with a port from 1 to 65535; got "b"');
    expect((thrown(() => parseSentinels('a:0')) as Error).message).toBe('REDIS_SENTINELS entry 1 must be host:port with a port from 1 to 65535; got "a:0"');
    expect((thrown(() => parseSentinels('')) as Error).message).toBe('REDIS_SENTINELS must be a comma-separated list of host:port; got ""');
  });

  it('reconnects and resends on READONLY only', () => {
    expect(reconnectOnReadonly(new Error("READONLY You can't write against a read only replica."))).toBe(2);
    expect(reconnectOnReadonly(new Error('WRONGTYPE Operation against a key'))).toBe(false);
  });

  it('backs off exponentially with jitter, capped, and never gives up', () => {
    const delay = backoff(50, 2000);
    for (let attempt = 1; attempt <= 40; attempt++) {
      const ceiling = Math.min(2000, 50 * 2 ** (attempt - 1));
      const d = delay(attempt);
      expect(d).toBeGreaterThanOrEqual(ceiling / 2);
      expect(d).toBeLessThanOrEqual(ceiling);
    }
  });
});
