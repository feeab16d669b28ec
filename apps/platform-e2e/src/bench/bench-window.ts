// eslint-disable-next-line @nx/enforce-module-boundaries
import type { LoadApi } from '../../../cli/src/app/load/api-client';
// eslint-disable-next-line @nx/enforce-module-boundaries
import type { Platform } from '../../../cli/src/app/platform';
import { ClosedLoop, type LoadSubjects } from './closed-loop';
import { hopCosts, type HopCosts } from './hop-costs';
import { scrapePlatform, watchedProcesses, type PlatformScrape } from './platform-probe';
import { UsageSampler } from './process-usage';
import { windowFigures, type Target, type WindowResult } from './bench-summary';

/** What every window of a run shares. */
export interface WindowContext {
  platform: Platform;
  subjects: LoadSubjects;
  /** The API through each target. */
  apis: Record<Target, LoadApi>;
  warmupMs: number;
  durationMs: number;
  ticksPerSecond: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function hopsOf(before: PlatformScrape, after: PlatformScrape, requests: number, clientMeanMs: number): { hops: HopCosts | null; hopError?: string } {
  if (requests === 0) return { hops: null, hopError: 'no request answered in the window' };
  try {
    const scrapes = after.metrics.map((a) => ({ instance: a.instance, kind: a.kind, after: a.text, before: before.metrics.find((b) => b.instance === a.instance)?.text ?? '' }));
    return { hops: hopCosts({ requests, clientMeanMs, scrapes, redis: { before: before.redis, after: after.redis } }) };
  } catch (error) {
    return { hops: null, hopError: (error as Error).message };
  }
}

/**
 * One measured window: `concurrency` closed-loop workers against `target`, a warm-up, then the
 * measured part framed by two scrapes of every instance's /metrics and Redis commandstats, with
 * the CPU ticks and RSS of every process of the platform read over it.
 */
export async function measureWindow(ctx: WindowContext, target: Target, concurrency: number, round: number): Promise<WindowResult> {
  const loop = new ClosedLoop(ctx.apis[target], ctx.subjects, concurrency).start();
  try {
    await sleep(ctx.warmupMs);
    const before = await scrapePlatform(ctx.platform);
    const usage = new UsageSampler(watchedProcesses(ctx.platform), ctx.ticksPerSecond);
    usage.start();
    loop.measure();
    await sleep(ctx.durationMs);
    const { samples, durationMs } = loop.endMeasure();
    const used = usage.stop();
    const after = await scrapePlatform(ctx.platform);
    const figures = windowFigures(samples, durationMs);
    return { target, concurrency, round, figures, usage: used, ...hopsOf(before, after, figures.requests, figures.meanMs) };
  } finally {
    await loop.stop();
  }
}
