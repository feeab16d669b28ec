import { Histogram, Registry } from 'prom-client';
import { SidecarMetrics } from '@failsoft/sidecar';
import { redisCommand, startRedisServer, type RedisServerHandle } from '@failsoft/testing';
import { hopCosts, type InstanceScrape } from './hop-costs';
import { parseCommandStats, parsePrometheusText, ScrapeParseError } from './prometheus-text';

/** Real exposition text of the sidecar's metrics (the registry the services serve on /metrics). */
function sidecar(service: string, instance: string): SidecarMetrics {
  return new SidecarMetrics({ service, instance, registry: new Registry() });
}

function times(n: number, record: () => void): void {
  for (let i = 0; i < n; i++) record();
}

describe('hopCosts (from two real /metrics scrapes and Redis INFO commandstats)', () => {
  let redis: RedisServerHandle;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('splits the mean request into gateway, sidecar client, service and Redis', async () => {
    const gateway = sidecar('gateway', 'gateway-1');
    const feed = sidecar('feed', 'feed-1');
    const likes = sidecar('likes', 'likes-1');
    const durableRegistry = new Registry();
    const durable = new Histogram({ name: 'failsoft_durable_write_duration_seconds', help: 'durable writes', labelNames: ['outcome'], buckets: [0.001, 0.01], registers: [durableRegistry] });
    // before the window: traffic that must not count
    times(10, () => gateway.clientCall('feed', 'GetFeed', 'OK', 0.005));
    times(10, () => feed.serverCall('GetFeed', 'OK', 0.003));
    durable.observe({ outcome: 'acked' }, 0.5);
    const before = { gateway: await gateway.metrics(), feed: await feed.metrics(), likes: (await likes.metrics()) + (await durableRegistry.metrics()) };
    const redisBefore = String(await redisCommand(redis.port, ['INFO', 'commandstats']));
    // the window: 20 feed reads (client 12 ms, server 9 ms) and 10 likes (client 4 ms, server 1 ms)
    times(20, () => gateway.clientCall('feed', 'GetFeed', 'OK', 0.012));
    times(20, () => feed.serverCall('GetFeed', 'OK', 0.009));
    times(10, () => gateway.clientCall('likes', 'Like', 'OK', 0.004));
    times(10, () => likes.serverCall('Like', 'OK', 0.001));
    times(4, () => durable.observe({ outcome: 'acked' }, 0.002));
    for (let i = 0; i < 60; i++) await redisCommand(redis.port, ['SET', `k${i}`, 'v']);
    const redisAfter = String(await redisCommand(redis.port, ['INFO', 'commandstats']));
    const scrapes: InstanceScrape[] = [
      { instance: 'gateway-1', kind: 'gateway', before: before.gateway, after: await gateway.metrics() },
      { instance: 'feed-1', kind: 'feed', before: before.feed, after: await feed.metrics() },
      { instance: 'likes-1', kind: 'likes', before: before.likes, after: (await likes.metrics()) + (await durableRegistry.metrics()) },
    ];

    const hops = hopCosts({ requests: 30, clientMeanMs: 15, scrapes, redis: { before: redisBefore, after: redisAfter } });

    expect(hops.methods.map((m) => [m.service, m.method, m.calls])).toEqual([
      ['feed', 'GetFeed', 20],
      ['likes', 'Like', 10],
    ]);
    const [getFeed, like] = hops.methods;
    expect(getFeed.clientMeanMs).toBeCloseTo(12, 2);
    expect(getFeed.serverMeanMs).toBeCloseTo(9, 2);
    expect(getFeed.sidecarMs).toBeCloseTo(3, 2);
    expect(like.sidecarMs).toBeCloseTo(3, 2);
    // client time per request (20*12 + 10*4) / 30 = 9.333 ms; server (20*9 + 10*1) / 30 = 6.333 ms
    expect(hops.gatewayMs).toBeCloseTo(15 - 280 / 30, 2);
    expect(hops.sidecarClientMs).toBeCloseTo(90 / 30, 2);
    expect(hops.serviceMs).toBeCloseTo(190 / 30, 2);
    expect(hops.durableWrites).toBe(4);
    expect(hops.durableWriteMeanMs).toBeCloseTo(2, 2);
    // 60 SETs in the window (the INFO calls themselves are left out): 2 commands per request
    expect(hops.redisCommandsPerRequest).toBe(2);
    expect(hops.redisUsecPerCommand).toBeGreaterThan(0);
    expect(hops.redisMsPerRequest).toBeGreaterThan(0);
  });

  it('counts a restarted instance (its counters went down) from zero', async () => {
    const old = sidecar('gateway', 'gateway-2');
    times(50, () => old.clientCall('likes', 'Like', 'OK', 0.002));
    const restarted = sidecar('gateway', 'gateway-2');
    times(5, () => restarted.clientCall('likes', 'Like', 'OK', 0.002));
    const hops = hopCosts({ requests: 5, clientMeanMs: 3, scrapes: [{ instance: 'gateway-2', kind: 'gateway', before: await old.metrics(), after: await restarted.metrics() }] });
    expect(hops.methods).toEqual([{ service: 'likes', method: 'Like', calls: 5, clientMeanMs: 2, serverMeanMs: 0, sidecarMs: 2 }]);
    expect(hops.redisCommandsPerRequest).toBeNull();
  });

  it('refuses bad input with a clear error, naming the instance whose scrape is malformed', () => {
    const ok = '# HELP x\nfailsoft_sidecar_info{service="gateway",instance="g"} 1\n';
    const gatewayScrape = (after: string): InstanceScrape => ({ instance: 'gateway-1', kind: 'gateway', before: ok, after });
    expect(() => hopCosts({ requests: 1, clientMeanMs: 1, scrapes: [gatewayScrape('this is { not prometheus')] })).toThrow(new ScrapeParseError('/metrics of gateway-1: not a Prometheus sample line: "this is { not prometheus"'));
    expect(() => hopCosts({ requests: 1, clientMeanMs: 1, scrapes: [gatewayScrape('up{job="x} 1')] })).toThrow(/gateway-1: (bad labels|not a Prometheus sample line)/);
    expect(() => hopCosts({ requests: 1, clientMeanMs: 1, scrapes: [gatewayScrape('up 1.2.3')] })).toThrow(/bad value "1\.2\.3"/);
    expect(() => hopCosts({ requests: 1, clientMeanMs: 1, scrapes: [{ ...gatewayScrape(ok), kind: 'likes' }] })).toThrow(/the scrapes include no gateway/);
    expect(() => hopCosts({ requests: 0, clientMeanMs: 1, scrapes: [gatewayScrape(ok)] })).toThrow(new RangeError('requests must be a positive integer; got 0'));
    expect(() => hopCosts({ requests: 1, clientMeanMs: NaN, scrapes: [gatewayScrape(ok)] })).toThrow(/clientMeanMs must be a number >= 0; got null/);
    expect(() => hopCosts({ requests: 1, clientMeanMs: 1, scrapes: [gatewayScrape(ok)], redis: { before: 'cmdstat_get:calls=x', after: '' } })).toThrow(/bad INFO commandstats line "cmdstat_get:calls=x"/);
  });

  it('parses labels with escapes, +Inf and timestamps', () => {
    const samples = parsePrometheusText('a_bucket{le="+Inf",m="x\\"y"} 3 1700000000\nb NaN\nc{} +Inf\n');
    expect(samples).toEqual([
      { name: 'a_bucket', labels: { le: '+Inf', m: 'x"y' }, value: 3 },
      { name: 'b', labels: {}, value: NaN },
      { name: 'c', labels: {}, value: Infinity },
    ]);
    expect(parseCommandStats('# Commandstats\r\ncmdstat_client|setname:calls=2,usec=4,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n')).toEqual(new Map([['client|setname', { calls: 2, usec: 4 }]]));
  });
});
