import { Redis } from 'ioredis';
import { isInvalidOptionsError } from '../core/sidecar.error';
import { EventEmitter } from '../core/event';
import type { ServiceInstance } from '../core/instance';
import { createResolver } from './create-resolver';
import { DnsResolver } from './dns.resolver';
import { RedisResolver } from './redis.resolver';
import type { Resolver } from './resolver';
import { StaticResolver } from './static.resolver';

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('createResolver', () => {
  it('builds each kind', async () => {
    const s = createResolver({ kind: 'static', service: 'likes', addresses: ['a:1'] });
    expect(s).toBeInstanceOf(StaticResolver);
    expect(createResolver({ kind: 'dns', service: 'likes', hostname: 'localhost', port: 1 })).toBeInstanceOf(DnsResolver);
    // never connects: nothing is started (lazyConnect), so no Redis is needed here
    const redis = new Redis({ lazyConnect: true });
    redis.on('error', () => undefined);
    expect(createResolver({ kind: 'redis', redis, service: 'likes' })).toBeInstanceOf(RedisResolver);
    redis.disconnect();
  });

  it('accepts a user-supplied resolver as it is', () => {
    const changes = new EventEmitter<readonly ServiceInstance[]>();
    const mine: Resolver = {
      service: 'likes',
      stale: false,
      instances: () => [],
      onChange: changes.event,
      start: async () => undefined,
      shutdown: async () => undefined,
    };
    expect(createResolver(mine)).toBe(mine);
  });

  it('rejects unknown kinds and bad options clearly', () => {
    const unknown = errorOf(() => createResolver({ kind: 'consul' } as never));
    expect(isInvalidOptionsError(unknown)).toBe(true);
    expect(unknown.message).toBe('resolver.kind must be one of "redis", "dns", "static" (or pass a Resolver object); got "consul"');
    expect(errorOf(() => createResolver({} as never)).message).toBe('resolver.kind must be one of "redis", "dns", "static" (or pass a Resolver object); got undefined');
    expect(errorOf(() => createResolver(null as never)).message).toBe(
      'resolver options must be an object with a kind ("redis", "dns", "static") or a Resolver; got null',
    );
    expect(errorOf(() => createResolver({ kind: 'static', service: 'likes', addresses: ['likes'] })).message).toContain('static.addresses[0] must be "host:port"');
    expect(errorOf(() => createResolver({ kind: 'redis', service: 'likes' } as never)).message).toBe(
      'redisResolver.redis must be an ioredis client (new Redis(...)); got undefined',
    );
  });
});
