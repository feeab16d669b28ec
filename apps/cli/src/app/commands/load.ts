import { UsageError, USAGE_EXIT_CODE } from '../args';
import { formatDuration, parseDuration, parseRate } from '../load/duration';
import { formatLoadReport } from '../load/load-report';
import { LoadGenerator } from '../load/load-generator';
import { ProgressLine } from '../load/progress';
import { findRunningPlatform } from '../load/running-platform';
import type { Command } from './command';

/** `failsoft load`: a weighted traffic mix with a lost-write check at the end. */
export const loadCommand: Command = {
  name: 'load',
  summary: 'send a traffic mix (feed, likes, unlikes, uploads) and check no acknowledged write was lost',
  usage: 'failsoft load --rate <per-second> --for <duration> [--url <url>] [--window <duration>] [--json]',
  details: [
    'Sends feed reads, likes/unlikes (each (user, post) toggles, one op at a time) and uploads at a fixed rate',
    'as the demo users, records every acknowledged write, and at the end reads them all back: an upload',
    'that is gone or a like state that differs is a lost acknowledged write, and one that no read answers',
    'cleanly (degraded, 5xx) within the verification window (--window, default 30s) is unverified: either exits with code 1.',
    'Default URL: the front door of the running platform (npm start). Durations: 30s, 2m, 1m30s, 500ms.',
  ],
  flags: [
    { name: 'rate', type: 'string', valueName: '<per-second>', description: 'requests per second (default 20)' },
    { name: 'for', type: 'string', valueName: '<duration>', description: 'how long (default 30s)' },
    { name: 'url', type: 'string', valueName: '<url>', description: 'front door URL (default: the running platform)' },
    { name: 'window', type: 'string', valueName: '<duration>', description: 'verification window of the read-back (default 30s)' },
    { name: 'json', type: 'boolean', description: 'end with one line of JSON (the figures)' },
  ],
  async run(flags, ctx) {
    let rate: number;
    let durationMs: number;
    let windowMs: number;
    try {
      rate = parseRate(String(flags['rate'] ?? '20'));
      durationMs = parseDuration(String(flags['for'] ?? '30s'));
      windowMs = parseDuration(String(flags['window'] ?? '30s'), '--window');
      if (flags['url'] !== undefined && !/^https?:\/\/[^/\s]+/.test(String(flags['url']))) throw new UsageError(`--url must be an http(s) URL like http://127.0.0.1:8080; got ${JSON.stringify(flags['url'])}`);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      ctx.io.err(`failsoft load: ${error.message}\nRun 'failsoft load --help' for its flags.`);
      return USAGE_EXIT_CODE;
    }
    let url = flags['url'] === undefined ? undefined : String(flags['url']);
    if (url === undefined) {
      const running = findRunningPlatform(ctx.workspace, ctx.env);
      if (!running.running) {
        ctx.io.err(`failsoft load: ${running.reason} (or give --url)`);
        return 1;
      }
      url = running.url;
    }
    const progress = new ProgressLine(ctx.io);
    let load: LoadGenerator;
    try {
      load = await LoadGenerator.prepare({ url, rate });
    } catch (error) {
      ctx.io.err(`failsoft load: cannot start against ${url}: ${(error as Error).message}`);
      return 1;
    }
    progress.log(`[load] ${rate}/s for ${String(flags['for'] ?? '30s')} against ${url} as ${[...load.tokens.keys()].join(', ')}; likes go to ${load.postIds.length} posts`);
    load.start();
    const ticker = setInterval(() => progress.update(load.progressLine()), 1000);
    let interrupted = false;
    const onSigint = (): void => {
      interrupted = true;
      wake();
    };
    let wake: () => void = () => undefined;
    process.once('SIGINT', onSigint);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, durationMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    process.off('SIGINT', onSigint);
    clearInterval(ticker);
    progress.update(`[load] stopping: waiting for ${load.pending} requests in flight`);
    const result = await load.stop();
    progress.log(`[load] ${interrupted ? 'interrupted; ' : ''}reading back ${result.acknowledgedWrites} acknowledged writes...`);
    const readBack = await load.readBack({ windowMs, log: (line) => progress.log(line) });
    progress.clear();
    for (const line of formatLoadReport(result, readBack)) ctx.io.out(line);
    if (flags['json']) {
      ctx.io.out(
        JSON.stringify({
          url,
          rate,
          durationMs: result.durationMs,
          overall: result.overall,
          byEndpoint: result.byEndpoint,
          errorsByCause: result.errorsByCause,
          acknowledgedWrites: result.acknowledgedWrites,
          lostAcknowledgedWrites: readBack.lost.length,
          lost: readBack.lost,
          unverified: readBack.unverified.length,
          unverifiedWrites: readBack.unverified.length,
          readBackRequests: readBack.requests,
        }),
      );
    }
    if (readBack.lost.length === 0 && readBack.unverified.length === 0) return 0;
    ctx.io.err(
      `failsoft load: ${readBack.lost.length} acknowledged writes lost and ${readBack.unverified.length} unverified (not read back cleanly within the ${formatDuration(windowMs)} verification window); exit code 1`,
    );
    return 1;
  },
};
