import * as dns from 'node:dns/promises';
import { isSidecarError } from '../core/sidecar.error';
import type { DiscoveryError } from './discovery.error';
import { DnsResolver, type LookupAddress } from './dns.resolver';

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('DnsResolver', () => {
  afterEach(() => jest.useRealTimers());

  it('resolves localhost through the system resolver', async () => {
    const r = new DnsResolver({ service: 'likes', hostname: 'localhost', port: 50051, zone: 'z1' });
    await r.start();
    await r.shutdown();
    const view = r.instances();
    expect(view.length).toBeGreaterThan(0);
    expect(r.stale).toBe(false);
    for (const i of view) {
      expect(['127.0.0.1:50051', '[::1]:50051']).toContain(i.address);
      expect(i).toMatchObject({ id: `likes@${i.address}`, service: 'likes', zone: 'z1', weight: 1 });
    }
  });

  it('honours the address family', async () => {
    const r = new DnsResolver({ service: 'likes', hostname: 'localhost', port: 1, family: 4 });
    await r.start();
    await r.shutdown();
    expect(r.instances().map((i) => i.address)).toEqual(['127.0.0.1:1']);
  });

  it('keeps the last view when lookups fail (stale), and recovers', async () => {
    let failing = false;
    const lookup = (hostname: string, family: 0 | 4 | 6): Promise<readonly LookupAddress[]> =>
      // a DNS outage cannot be produced for real here: fail like getaddrinfo does
      failing ? Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })) : dns.lookup(hostname, { all: true, family });
    const r = new DnsResolver({ service: 'likes', hostname: 'localhost', port: 7000, family: 4, lookup });
    const errors: DiscoveryError[] = [];
    const stale: boolean[] = [];
    r.onError((e) => errors.push(e));
    r.onStaleChange((s) => stale.push(s));
    await r.start();
    const before = r.instances();
    failing = true;
    await r.refresh();
    expect(r.instances()).toBe(before);
    expect(r.stale).toBe(true);
    expect(errors).toHaveLength(1);
    expect(isSidecarError(errors[0], 'DISCOVERY_UNAVAILABLE')).toBe(true);
    expect(errors[0].message).toBe('dns resolver for "likes": load failed: getaddrinfo ENOTFOUND localhost');
    failing = false;
    await r.refresh();
    expect(r.stale).toBe(false);
    expect(stale).toEqual([true, false]);
    await r.shutdown();
  });

  it('refreshes periodically and emits onChange only when the addresses change', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    let answer: LookupAddress[] = [{ address: '10.0.0.1', family: 4 }];
    let lookups = 0;
    const lookup = async () => {
      lookups++;
      return answer;
    };
    const r = new DnsResolver({ service: 'likes', hostname: 'likes', port: 80, refreshMs: 1_000, lookup });
    const changes: string[][] = [];
    r.onChange((v) => changes.push(v.map((i) => i.address)));
    await r.start();
    expect(lookups).toBe(1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(lookups).toBe(2);
    expect(changes).toEqual([['10.0.0.1:80']]);
    answer = [
      { address: '10.0.0.2', family: 4 },
      { address: '10.0.0.1', family: 4 },
      { address: '10.0.0.2', family: 4 },
    ];
    await jest.advanceTimersByTimeAsync(1_000);
    expect(changes).toEqual([['10.0.0.1:80'], ['10.0.0.1:80', '10.0.0.2:80']]);
    await r.shutdown();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(lookups).toBe(3);
  });

  it('start() does not hang when the lookup never answers: resolves after timeoutMs, empty and stale', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    const r = new DnsResolver({ service: 'likes', hostname: 'likes', port: 80, timeoutMs: 500, lookup: () => new Promise(() => undefined) });
    let started = false;
    void r.start().then(() => (started = true));
    await jest.advanceTimersByTimeAsync(499);
    expect(started).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(started).toBe(true);
    expect(r.instances()).toEqual([]);
    expect(r.stale).toBe(true);
    expect(r.error?.message).toContain('timed out after 500 ms');
    await r.shutdown();
  });

  it('uses SRV records (lowest priority, their ports and weights)', async () => {
    const r = new DnsResolver({
      service: 'likes',
      hostname: '_grpc._tcp.likes',
      srv: true,
      family: 4,
      resolveSrv: async () => [
        { name: 'localhost', port: 7001, priority: 10, weight: 3 },
        { name: 'localhost', port: 7002, priority: 10, weight: 0 },
        { name: 'localhost', port: 7003, priority: 20, weight: 1 },
      ],
    });
    await r.start();
    await r.shutdown();
    expect(r.instances().map((i) => [i.address, i.weight])).toEqual([
      ['127.0.0.1:7001', 3],
      ['127.0.0.1:7002', 1],
    ]);
  });

  it('rejects bad options naming option and value', () => {
    expect(errorOf(() => new DnsResolver({ service: 'likes', hostname: 'likes:80', port: 80 })).message).toBe(
      'dns.hostname must be a host name such as "likes" or "localhost" (no port, no scheme); got "likes:80"',
    );
    expect(errorOf(() => new DnsResolver({ service: 'likes', hostname: 'likes' })).message).toBe('dns.port must be an integer from 1 to 65535; got undefined');
    expect(errorOf(() => new DnsResolver({ service: 'likes', hostname: 'likes', port: 80, refreshMs: 5 })).message).toBe(
      'dns.refreshMs must be an integer from 50 to 86400000; got 5',
    );
    expect(errorOf(() => new DnsResolver({ service: 'likes', hostname: 'likes', port: 80, family: 5 as 4 })).message).toBe('dns.family must be 0, 4 or 6; got 5');
    expect(errorOf(() => new DnsResolver({ service: 'likes', hostname: 'likes', port: 80, lookup: 'x' as never })).message).toBe(
      'dns.lookup must be a function; got "x"',
    );
  });
});
