/**
 * Cold-start benchmark of `npm start` (`npm run bench:start [-- --runs 3 --direct --verbose]`):
 * runs the real command with nothing of the platform running, measures the seconds until the
 * front door URL serves the feed (HTTP 200 from GET /api/feed), prints them, then stops it with
 * SIGTERM (as Ctrl-C would) and measures the stop too. A benchmark prints figures; it asserts
 * nothing about speed (the aim is under 20 s).
 *
 * Each run uses its own files (FAILSOFT_STATE_DIR=tmp/bench-start, so a developer's `npm start`
 * and its .failsoft/ are left alone) and a free front door port. The services' build must be up to
 * date for a cold start to mean "start" rather than "build" (npm start builds stale services
 * first and says so: the figure then includes the build, and is flagged).
 *
 * Output: one line per run, then a summary line and one line of JSON on stdout.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const workspace = join(__dirname, '..', '..', '..');

interface RunFigure {
  run: number;
  /** From spawning `npm start` until GET /api/feed through the front door answered 200. */
  readySeconds: number;
  /** What `failsoft up` printed ("Failsoft is up in N s"), from its own start. */
  cliSeconds: number | null;
  /** From SIGTERM until the command and the platform it ran had exited. */
  stopSeconds: number;
  exitCode: number | null;
  /** npm start rebuilt stale services first (the figure includes the build). */
  built: boolean;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function feedIsServed(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/api/feed`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function oneRun(run: number, options: { direct: boolean; verbose: boolean; timeoutMs: number }): Promise<RunFigure> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const flags = ['--front-door-port', String(port)];
  // npm start = node apps/cli/bin/failsoft.js up
  const [command, argv] = options.direct ? [process.execPath, [join(workspace, 'apps', 'cli', 'bin', 'failsoft.js'), 'up', ...flags]] : ['npm', ['start', '--silent', '--', ...flags]];
  const started = performance.now();
  // its own process group, so SIGTERM reaches npm and the CLI as a terminal's Ctrl-C would
  const child = spawn(command, argv, {
    cwd: workspace,
    env: { ...process.env, FAILSOFT_STATE_DIR: join('tmp', 'bench-start') },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  let cliSeconds: number | null = null;
  let built = false;
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString();
    output += text;
    if (options.verbose) process.stderr.write(text.replace(/^(?=.)/gm, `  [run ${run}] `));
    const up = /Failsoft (?:is up|started) in ([\d.]+) s/.exec(output);
    if (up) cliSeconds = Number(up[1]);
    if (/\[build\] (?!dist is up to date)/.test(text)) built = true;
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  // 'close': every process holding the output pipe is gone (npm, the CLI and the platform runner)
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let exitedEarly: number | null | undefined;
  void exited.then((code) => (exitedEarly = code));
  const deadline = started + options.timeoutMs;
  while (!(await feedIsServed(url))) {
    if (exitedEarly !== undefined) throw new Error(`npm start exited (code ${exitedEarly}) before ${url} served the feed:\n${output.slice(-3000)}`);
    if (performance.now() > deadline) {
      process.kill(-(child.pid as number), 'SIGKILL');
      throw new Error(`${url} did not serve the feed within ${options.timeoutMs / 1000} s:\n${output.slice(-3000)}`);
    }
    await sleep(50);
  }
  const readySeconds = (performance.now() - started) / 1000;
  // the CLI prints its line right after seeding; give it a moment
  for (let i = 0; i < 100 && cliSeconds === null; i++) await sleep(50);
  const stopping = performance.now();
  process.kill(-(child.pid as number), 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const exitCode = await Promise.race([exited, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 30_000)))]);
  clearTimeout(timer);
  if (exitCode === 'timeout') {
    process.kill(-(child.pid as number), 'SIGKILL');
    throw new Error(`npm start did not stop within 30 s of SIGTERM:\n${output.slice(-2000)}`);
  }
  if (!/\[stop\] everything stopped/.test(output)) throw new Error(`npm start exited without stopping cleanly:\n${output.slice(-2000)}`);
  return { run, readySeconds: Number(readySeconds.toFixed(2)), cliSeconds, stopSeconds: Number(((performance.now() - stopping) / 1000).toFixed(2)), exitCode, built };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const runsArg = argv.indexOf('--runs');
  const runs = runsArg >= 0 ? Number(argv[runsArg + 1]) : 1;
  if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new Error(`--runs must be an integer from 1 to 20; got ${argv[runsArg + 1]}`);
  const direct = argv.includes('--direct');
  const verbose = argv.includes('--verbose');
  process.stderr.write(`cold start of ${direct ? 'node apps/cli/bin/failsoft.js up' : 'npm start'}: ${runs} run(s), until GET /api/feed through the front door answers 200\n`);
  const figures: RunFigure[] = [];
  for (let run = 1; run <= runs; run++) {
    const figure = await oneRun(run, { direct, verbose, timeoutMs: 120_000 });
    figures.push(figure);
    process.stdout.write(
      `run ${run}: URL ready in ${figure.readySeconds.toFixed(1)} s (failsoft up says ${figure.cliSeconds ?? '?'} s)${figure.built ? ' [includes a build of stale services]' : ''}; ` +
        `stopped cleanly in ${figure.stopSeconds.toFixed(1)} s\n`,
    );
    if (run < runs) await sleep(1000);
  }
  const ready = figures.map((f) => f.readySeconds).sort((a, b) => a - b);
  const median = ready[Math.floor(ready.length / 2)];
  process.stdout.write(`cold npm start: median ${median.toFixed(1)} s, min ${ready[0].toFixed(1)} s, max ${ready[ready.length - 1].toFixed(1)} s over ${runs} run(s) (aim: under 20 s)\n`);
  process.stdout.write(`${JSON.stringify({ bench: 'cold-start', command: direct ? 'failsoft up' : 'npm start', medianSeconds: median, runs: figures })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:start failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
