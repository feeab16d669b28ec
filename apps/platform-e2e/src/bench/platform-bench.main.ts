/**
 * End-to-end benchmark of the platform (`npm run bench:platform [-- --concurrency 1,8,32 --duration 4s
 * --warmup 1s --rounds 3 --verbose]`): starts a private platform of `npm start` (the e2e suites'
 * starter: own Redis + Sentinel on free ports, HAProxy front door, 2 gateways, 2 of each service,
 * files in tmp/bench-platform/), signs in as the demo users and drives the mix of `failsoft load`
 * with closed-loop workers at each concurrency, through the front door and directly against
 * gateway-1, alternating the two per round. Progress on stderr; the table, then one JSON line, on
 * stdout. Prints figures, asserts none; exits 1 when the platform cannot start, 2 on bad flags.
 *
 * The per-user write limit and the per-author post quota of the private platform are raised
 * (RATE_LIMIT_WRITES, USER_MAX_POSTS) so the mix stays the same at every level: three users at
 * hundreds of requests per second would otherwise see writes refused (429) or turned into reads.
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { DEMO_USERS, LoadApi } from '../../../cli/src/app/load/api-client';
// eslint-disable-next-line @nx/enforce-module-boundaries
import type { Platform } from '../../../cli/src/app/platform';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startSuitePlatform } from '../../../cli/src/app/suite-platform';
import { BENCH_USAGE, BenchOptionError, parseBenchOptions, type BenchOptions } from './bench-options';
import { benchJson, formatBenchTable } from './bench-report';
import { levelSummary, TARGETS, type LevelSummary, type WindowResult } from './bench-summary';
import { ClosedLoop } from './closed-loop';
import { measureWindow, type WindowContext } from './bench-window';
import { clockTicksPerSecond } from './process-usage';

const workspace = join(__dirname, '..', '..', '..', '..');
const began = performance.now();

/** Environment of every service of the bench's platform (see the file comment). */
const BENCH_SERVICE_ENV = { RATE_LIMIT_WRITES: '100000', RATE_LIMIT_WINDOW_MS: '10000', USER_MAX_POSTS: '10000000' };

function progress(line: string): void {
  process.stderr.write(`[bench:platform ${((performance.now() - began) / 1000).toFixed(1)} s] ${line}\n`);
}

async function prepare(platform: Platform, options: BenchOptions): Promise<Omit<WindowContext, 'platform'>> {
  if (platform.frontDoorIds().length === 0) throw new Error('the platform runs without HAProxy (not on the PATH, or HAPROXY_BIN is empty): the front door hop cannot be measured; install haproxy (sudo apt-get install haproxy)');
  const gateway = platform.process(platform.instancesOf('gateway')[0]);
  if (!gateway.url) throw new Error(`${gateway.id} has no URL`);
  const frontDoor = new LoadApi(platform.url, 10_000);
  const tokens = new Map<string, string>();
  for (const user of DEMO_USERS) tokens.set(user, await frontDoor.signIn(user));
  const feed = await frontDoor.feed(tokens.get(DEMO_USERS[0]), 20);
  const postIds = (feed.json?.items ?? []).slice(0, 8).map((p) => p.id);
  if (feed.status !== 200 || postIds.length === 0) throw new Error(`GET ${platform.url}/api/feed answered ${feed.status} with ${postIds.length} posts: the seeded platform should have some`);
  progress(`signed in as ${DEMO_USERS.join(', ')}; likes go to ${postIds.length} posts; direct target ${gateway.id} at ${gateway.url}`);
  return { subjects: { tokens, postIds }, apis: { frontDoor, direct: new LoadApi(gateway.url, 10_000) }, warmupMs: options.warmupMs, durationMs: options.durationMs, ticksPerSecond: clockTicksPerSecond() };
}

function windowLine(w: WindowResult): string {
  const errors = Object.values(w.figures.errors).reduce((a, b) => a + b, 0);
  return `c=${w.concurrency} round ${w.round} ${w.target.padEnd(9)}: ${w.figures.rps} rps, p50 ${w.figures.p50Ms} ms, p99 ${w.figures.p99Ms} ms, ${errors} errors${w.hopError ? ` (hops: ${w.hopError})` : ''}`;
}

/** Unmeasured load on both targets first (JIT, connection pools, caches), so the first window is not the coldest. */
async function warmUp(ctx: WindowContext): Promise<void> {
  const ms = Math.max(2000, ctx.warmupMs * 2);
  progress(`warming up: ${ms / 1000} s on each target at c=4 (not measured)...`);
  for (const target of TARGETS) {
    const loop = new ClosedLoop(ctx.apis[target], ctx.subjects, 4).start();
    await new Promise((resolve) => setTimeout(resolve, ms).unref());
    await loop.stop();
  }
}

async function runLevels(ctx: WindowContext, options: BenchOptions): Promise<LevelSummary[]> {
  await warmUp(ctx);
  const levels: LevelSummary[] = [];
  const total = options.concurrency.length * options.rounds * 2;
  let done = 0;
  for (const concurrency of options.concurrency) {
    const windows: WindowResult[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const order = round % 2 === 1 ? TARGETS : [...TARGETS].reverse();
      for (const target of order) {
        progress(`[${++done}/${total}] c=${concurrency} round ${round}/${options.rounds}: ${target} (${options.warmupMs / 1000} s warm-up + ${options.durationMs / 1000} s)...`);
        const w = await measureWindow(ctx, target, concurrency, round);
        windows.push(w);
        progress(`  ${windowLine(w)}`);
      }
    }
    levels.push(levelSummary(concurrency, windows));
  }
  return levels;
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof BenchOptionError)) throw error;
    process.stderr.write(`bench:platform: ${error.message}\n${BENCH_USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return 0;
  }
  const windows = options.concurrency.length * options.rounds * 2;
  progress(`levels ${options.concurrency.join(', ')}; ${options.rounds} rounds; ${windows} windows of ${(options.warmupMs + options.durationMs) / 1000} s (about ${Math.ceil((windows * (options.warmupMs + options.durationMs + 300) + 2 * Math.max(2000, options.warmupMs * 2)) / 1000)} s after the start)`);
  let platform: Platform;
  let startupMs: number;
  try {
    const important = /\[(redis|start|front door|seed|build)\]|ready|not ready|fail|error/i;
    ({ platform, startupMs } = await startSuitePlatform({
      workspace,
      stateDir: join(workspace, 'tmp', 'bench-platform'),
      label: 'platform',
      env: BENCH_SERVICE_ENV,
      readyTimeoutMs: 120_000,
      progress: (line) => (options.verbose || important.test(line) ? progress(line) : undefined),
    }));
  } catch (error) {
    process.stderr.write(`bench:platform: the platform did not start: ${(error as Error).message}\n(its logs: tmp/bench-platform/logs/)\n`);
    return 1;
  }
  const stop = (): void => void platform.stop('bench interrupted').finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let levels: LevelSummary[];
  const loadBefore = Number(loadavg()[0].toFixed(2));
  try {
    const ctx: WindowContext = { platform, ...(await prepare(platform, options)) };
    levels = await runLevels(ctx, options);
  } catch (error) {
    process.stderr.write(`bench:platform: ${(error as Error).message}\n`);
    await platform.stop('bench failed');
    return 1;
  }
  progress('stopping the platform...');
  await platform.stop('bench done');
  // the machine is shared: its load average (1 min) before and after says how much of it others used
  const context = { machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadAverage1m: { before: loadBefore, after: Number(loadavg()[0].toFixed(2)) } }, settings: { ...options, help: undefined, verbose: undefined, serviceEnv: BENCH_SERVICE_ENV, mix: 'failsoft load DEFAULT_MIX: feed 0.55, likes 0.35 (like/unlike toggling), create 0.10' }, startupMs };
  process.stdout.write(`${formatBenchTable(levels).join('\n')}\n${JSON.stringify(benchJson(levels, context))}\n`);
  return 0;
}

/** Runs the bench (see the file comment); resolves when done, with process.exitCode set. */
export function runPlatformBench(): Promise<void> {
  return main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`bench:platform failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
