import { redisCommand } from '@failsoft/testing';
// eslint-disable-next-line @nx/enforce-module-boundaries
import type { Platform } from '../../../cli/src/app/platform';
import type { ScrapedKind } from './hop-costs';
import type { WatchedProcess } from './process-usage';

const SCRAPED: readonly string[] = ['gateway', 'upload', 'likes', 'feed'];

/** One scrape of every gateway and service instance (`/metrics` text by instance) and of Redis. */
export interface PlatformScrape {
  metrics: Array<{ instance: string; kind: ScrapedKind; text: string }>;
  /** `INFO commandstats` of the master. */
  redis: string;
}

/**
 * Every process of the platform by kind, as running now: the service instances and the front
 * door's HAProxy processes (from the supervisor), the Redis data nodes and sentinels, and the
 * bench's own process (`client`: the load client, which also runs the platform's supervisor).
 */
export function watchedProcesses(platform: Platform): WatchedProcess[] {
  const out: WatchedProcess[] = [];
  for (const p of platform.processes()) if (p.pid !== undefined && p.state === 'running') out.push({ id: p.id, kind: p.service, pid: p.pid });
  platform.redis.servers().forEach((node) => node.pid !== undefined && node.running && out.push({ id: `redis:${node.port}`, kind: 'redis', pid: node.pid }));
  platform.redis.sentinels().forEach((node) => node.pid !== undefined && node.running && out.push({ id: `sentinel:${node.port}`, kind: 'sentinel', pid: node.pid }));
  out.push({ id: 'bench', kind: 'client', pid: process.pid });
  return out;
}

/** Scrapes every gateway's and service's `/metrics` (on its own port) and the Redis master's INFO commandstats. @throws naming what could not be read. */
export async function scrapePlatform(platform: Platform): Promise<PlatformScrape> {
  const instances = platform.processes().filter((p) => SCRAPED.includes(p.service) && p.url !== undefined);
  const metrics = await Promise.all(
    instances.map(async (p) => {
      const res = await fetch(`${p.url}/metrics`, { signal: AbortSignal.timeout(5000) });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`GET ${p.url}/metrics of ${p.id} answered ${res.status}`);
      return { instance: p.id, kind: p.service as ScrapedKind, text };
    }),
  );
  const master = await platform.redis.currentMaster();
  const redis = await redisCommand(master.port, ['INFO', 'commandstats'], { host: master.host, password: platform.redis.auth.data.password, timeoutMs: 5000 });
  if (typeof redis !== 'string') throw new Error(`INFO commandstats of the master :${master.port} answered ${String(redis)}`);
  return { metrics, redis };
}
