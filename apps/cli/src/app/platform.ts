import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { getFreePort, isProcessAlive, waitUntil, type SentinelTopology } from '@failsoft/testing';
import { buildProjects, staleServices } from './build';
import type { CliContext } from './commands/command';
import { checkHaproxyConfig, findHaproxy, haproxyConfig, missingHaproxyWarning } from './haproxy';
import { probe, waitForReady, type ReadinessTarget } from './readiness';
import { startRedis, watchRedis } from './redis';
import { failsoftPaths, readRunState, shortPath, writeRunState, type RunState } from './run-state';
import { loadOrCreateSecrets } from './secrets';
import { seedDemoPosts } from './seed';
import { describeExit, Supervisor, tailFile } from './supervisor';
import { COMMON_ENV, LOCAL_HOST, planInstances, REDIS, SERVICE_NAMES, type InstancePlan } from './topology';

/** Options of {@link runPlatform} (validated by the `up` command). */
export interface PlatformOptions {
  /** Wanted front door port (a free one is used instead when it is taken, and said so). */
  frontDoorPort: number;
  zones: number;
  seed: boolean;
  /** Bound of the readiness wait. */
  readyTimeoutMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** When the command started (ms since epoch), for the "up in N s" figure. */
  startedAt: number;
  /** Whether a `kill` command exists (for the hint). */
  hasKillCommand: boolean;
}

/** How long services get to drain on SIGTERM before SIGKILL. */
const DRAIN_TIMEOUT_MS = 10_000;

/** Variables the platform sets for its children: never inherited from the caller's shell. */
const OWN_ENV = new Set<string>([...COMMON_ENV, 'GRPC_PORT', 'AUTH_SECRET', 'FAILSOFT_UP_RUNNER', 'FAILSOFT_STARTED_AT']);

/** True when `port` can be bound on `host` right now. */
export function isPortFree(port: number, host = LOCAL_HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Each run starts with fresh logs; the previous run's stay in `logs/previous/` (one generation). */
function keepPreviousLogs(logs: string): void {
  mkdirSync(logs, { recursive: true });
  const files = readdirSync(logs).filter((f) => f.endsWith('.log'));
  if (files.length === 0) return;
  const previous = join(logs, 'previous');
  rmSync(previous, { recursive: true, force: true });
  mkdirSync(previous);
  for (const file of files) renameSync(join(logs, file), join(previous, file));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The command line of a pid ('' when unreadable). */
function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * Kills what a previous `failsoft up` left behind when it died without stopping (its pid is gone
 * but some children live on). Only pids listed in its run-state whose command line still matches
 * what was started there are signalled.
 */
export function killLeftovers(previous: RunState): number[] {
  const candidates: Array<{ pid: number | null; match: (cmd: string) => boolean }> = [
    ...previous.processes.map((p) => ({ pid: p.pid, match: (cmd: string) => cmd.includes(`dist/apps/${p.service}/`) })),
    { pid: previous.frontDoor.pid, match: (cmd: string) => cmd.includes('haproxy') },
    ...[...previous.redis.servers, ...previous.redis.sentinels].map((s) => ({ pid: s.pid, match: (cmd: string) => cmd.includes('redis-server') && cmd.includes(`:${s.port}`) })),
  ];
  const killed: number[] = [];
  for (const { pid, match } of candidates) {
    if (pid === null || pid === process.pid || !isProcessAlive(pid) || !match(cmdline(pid))) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return killed;
}

/**
 * `failsoft up` proper: builds when needed, starts Redis + Sentinel, every service instance under
 * the supervisor and the front door, waits for readiness, seeds demo posts, prints the URL, keeps
 * `.failsoft/run-state.json` current, and on SIGINT/SIGTERM stops services (drain), then the front
 * door, then Redis. A second signal kills everything at once.
 * @returns the exit code (0 after a clean stop).
 */
export async function runPlatform(ctx: CliContext, options: PlatformOptions): Promise<number> {
  const { io, workspace } = ctx;
  const say = (line: string): void => io.out(line);
  const warn = (line: string): void => io.err(line);
  const since = (): string => seconds(Date.now() - options.startedAt);
  const paths = failsoftPaths(workspace);

  // 0. one platform per workspace; clean up after a previous run that died abruptly
  let previous: RunState | undefined;
  try {
    previous = readRunState(paths.runState);
  } catch {
    previous = undefined; // unreadable: overwritten below
  }
  if (previous && previous.stoppedAt === null && previous.cliPid !== process.pid && isProcessAlive(previous.cliPid) && cmdline(previous.cliPid).includes('up')) {
    warn(
      `failsoft up: the platform is already running here (pid ${previous.cliPid}, ${previous.frontDoor.url}).\n` +
        `Stop it first (Ctrl-C in its terminal, or kill -TERM ${previous.cliPid}), or see it with: npm run failsoft -- status`,
    );
    return 1;
  }
  if (previous) {
    const killed = killLeftovers(previous);
    if (killed.length) say(`[cleanup] killed ${killed.length} leftover processes of a previous run that did not stop cleanly (pids ${killed.join(', ')})`);
  }
  keepPreviousLogs(paths.logs);
  mkdirSync(paths.redis, { recursive: true });
  const { secrets, created } = loadOrCreateSecrets(paths.secrets);
  say(`failsoft up: starting the local platform (${shortPath(workspace, paths.root)}/ holds logs, run-state${created ? ', new secrets' : ', secrets'})`);

  const supervisor = new Supervisor({ log: warn, stopTimeoutMs: DRAIN_TIMEOUT_MS });
  const abort = new AbortController();
  let topology: SentinelTopology | undefined;
  let redisStarting: Promise<SentinelTopology> | undefined;
  let stopWatchingRedis: (() => void) | undefined;
  let plans: InstancePlan[] = [];
  let lastMaster: { host: string; port: number } | null = null;
  const state: RunState = {
    version: 1,
    cliPid: process.pid,
    workspace,
    startedAt: new Date(options.startedAt).toISOString(),
    readyAt: null,
    stoppedAt: null,
    frontDoor: { url: '', kind: 'pending', port: null, pid: null, statsUrl: null, config: null },
    redis: { masterName: REDIS.masterName, master: null, servers: [], replicas: [], sentinels: [], dir: null },
    processes: [],
    secretsFile: shortPath(workspace, paths.secrets),
    logsDir: shortPath(workspace, paths.logs),
  };

  const save = (): void => {
    const statuses = new Map(supervisor.list().map((s) => [s.id, s]));
    state.processes = plans.map((p) => {
      const s = statuses.get(p.id);
      return {
        id: p.id,
        service: p.service,
        pid: s?.pid ?? null,
        httpPort: p.httpPort,
        grpcPort: p.grpcPort ?? null,
        zone: p.zone,
        url: p.url,
        logFile: shortPath(workspace, join(paths.logs, `${p.id}.log`)),
        state: s?.state ?? 'pending',
        restarts: s?.restarts ?? 0,
      };
    });
    if (state.frontDoor.kind === 'haproxy') state.frontDoor.pid = statuses.get('haproxy')?.pid ?? null;
    if (topology) {
      const servers = topology.servers.map((s) => ({ host: s.host, port: s.port, pid: s.pid, running: s.running }));
      state.redis = {
        masterName: topology.masterName,
        master: lastMaster,
        servers,
        replicas: servers.filter((s) => s.port !== lastMaster?.port).map(({ host, port }) => ({ host, port })),
        sentinels: topology.sentinels.map((s) => ({ ...s, running: isProcessAlive(s.pid) })),
        dir: shortPath(workspace, topology.dir),
      };
    }
    try {
      writeRunState(paths.runState, state);
    } catch (error) {
      warn(`[state] could not write ${paths.runState}: ${(error as Error).message}`);
    }
  };
  const refreshMaster = async (): Promise<void> => {
    if (!topology) return;
    try {
      lastMaster = await topology.currentMaster();
    } catch {
      // mid-failover: keep the last one
    }
    save();
  };
  supervisor.on('spawn', save);
  supervisor.on('exit', save);
  supervisor.on('gave-up', save);

  // shutdown: services (drain) → front door → Redis; a second signal kills everything now
  let stopping: Promise<void> | undefined;
  let exitCode = 0;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const shutdown = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      const t = Date.now();
      abort.abort();
      supervisor.beginShutdown();
      say(`\n[stop] ${reason}: stopping the services (SIGTERM, up to ${DRAIN_TIMEOUT_MS / 1000} s to drain; Ctrl-C again to kill at once)`);
      await supervisor.stopAll({ ids: plans.map((p) => p.id), timeoutMs: DRAIN_TIMEOUT_MS });
      if (supervisor.status('haproxy')) {
        say('[stop] stopping the front door (haproxy)');
        await supervisor.stop('haproxy', { timeoutMs: 3000 });
      }
      await supervisor.stopAll({ timeoutMs: 3000 });
      stopWatchingRedis?.();
      const redis = topology ?? (await redisStarting?.catch(() => undefined));
      if (redis) {
        say('[stop] stopping Redis and the sentinels');
        await redis.stop();
      }
      state.stoppedAt = new Date().toISOString();
      save();
      say(`[stop] everything stopped in ${seconds(Date.now() - t)}; logs are kept in ${state.logsDir}/`);
    })().finally(resolveStopped);
    return stopping;
  };
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      void shutdown(signal === 'SIGINT' ? 'Ctrl-C' : signal);
      return;
    }
    warn(`[stop] ${signal} again: killing everything now`);
    supervisor.killAllNow();
    process.exit(130); // the @failsoft/testing exit hook SIGKILLs the Redis processes
  };
  const onExit = (): void => supervisor.killAllNow(); // never leave a service behind, however this process ends
  const onDisconnect = (): void => void shutdown('the failsoft up terminal went away');
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('exit', onExit);
  process.on('disconnect', onDisconnect);
  process.channel?.unref();

  try {
    await startUp();
  } catch (error) {
    if (!stopping) {
      warn(`failsoft up: ${(error as Error).message}`);
      exitCode = 1;
      await shutdown('startup failed');
    }
  }
  await stopped;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
  process.off('exit', onExit);
  process.off('disconnect', onDisconnect);
  return exitCode;

  async function startUp(): Promise<void> {
    // 1. build (when stale) and Redis, in parallel
    const stale = staleServices(workspace, SERVICE_NAMES);
    let building: Promise<void>;
    if (stale.length > 0) {
      say(`[build] ${stale.join(', ')}: build missing or older than the sources; running nx run-many -t build (cached when unchanged)`);
      const t = Date.now();
      building = buildProjects(workspace, SERVICE_NAMES, say, abort.signal).then(() => say(`[build] done (${seconds(Date.now() - t)})`));
    } else {
      say('[build] dist is up to date');
      building = Promise.resolve();
    }
    say('[redis] starting 1 master, 2 replicas, 3 sentinels...');
    const tRedis = Date.now();
    redisStarting = startRedis(paths.redis);
    void redisStarting.then(
      (topo) => {
        // the first data node is the master at start
        const [master, ...replicas] = topo.servers;
        say(
          `[redis] ready in ${seconds(Date.now() - tRedis)}: master :${master.port}, replicas ${replicas.map((s) => `:${s.port}`).join(' ')}, ` +
            `sentinels ${topo.sentinels.map((s) => `:${s.port}`).join(' ')} (quorum ${REDIS.quorum}, down-after ${REDIS.downAfterMs} ms)`,
        );
      },
      () => undefined,
    );
    const [built, redis] = await Promise.allSettled([building, redisStarting]);
    if (redis.status === 'fulfilled') topology = redis.value;
    if (stopping) return;
    if (built.status === 'rejected') throw new Error(`${(built.reason as Error).message}\nFix the build and run npm start again.`);
    if (redis.status === 'rejected') throw new Error(`could not start Redis: ${(redis.reason as Error).message}`);
    const topo = redis.value;
    lastMaster = await topo.currentMaster();
    stopWatchingRedis = watchRedis(topo, { log: warn, onChange: () => void refreshMaster(), stopping: () => stopping !== undefined });

    // 2. plan every instance (free ports, env from topology.ts)
    plans = await planInstances(
      { sentinels: topo.sentinels, masterName: topo.masterName, failsoftToken: secrets.failsoftToken, authSecret: secrets.authSecret, logLevel: options.logLevel },
      { zones: options.zones, freePort: () => getFreePort() },
    );
    const gateways = plans.filter((p) => p.service === 'gateway');

    // 3. front door port and proxy
    const haproxy = findHaproxy();
    let frontDoorPort = options.frontDoorPort;
    if (haproxy && !(await isPortFree(frontDoorPort))) {
      const wanted = frontDoorPort;
      frontDoorPort = await getFreePort();
      say(`[front door] port ${wanted} is taken; using ${frontDoorPort} instead (choose one with --front-door-port or FRONT_DOOR_PORT)`);
    }
    save();
    if (stopping) return;

    // 4. services, under the supervisor
    const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !OWN_ENV.has(name)));
    for (const plan of plans) {
      supervisor.start({
        id: plan.id,
        command: process.execPath,
        args: [join(workspace, plan.main)],
        env: { ...baseEnv, ...plan.env },
        cwd: workspace,
        logFile: join(paths.logs, `${plan.id}.log`),
      });
    }
    say(`[start] ${plans.length} instances (${SERVICE_NAMES.map((s) => `${plans.filter((p) => p.service === s).length} ${s}`).join(', ')}); logs in ${state.logsDir}/<id>.log`);

    if (haproxy) {
      const statsPort = await getFreePort();
      const config = haproxyConfig({ frontDoorPort, statsPort, gateways: gateways.map((g) => ({ id: g.id, host: LOCAL_HOST, port: g.httpPort })) });
      writeFileSync(paths.haproxyConfig, config);
      const check = checkHaproxyConfig(haproxy, paths.haproxyConfig);
      if (!check.ok) throw new Error(`haproxy rejected the generated ${shortPath(workspace, paths.haproxyConfig)}:\n${check.output}`);
      supervisor.start({ id: 'haproxy', command: haproxy, args: ['-f', paths.haproxyConfig, '-db'], cwd: workspace, logFile: join(paths.logs, 'haproxy.log') });
      state.frontDoor = {
        url: `http://${LOCAL_HOST}:${frontDoorPort}`,
        kind: 'haproxy',
        port: frontDoorPort,
        pid: supervisor.status('haproxy')?.pid ?? null,
        statsUrl: `http://${LOCAL_HOST}:${statsPort}/`,
        config: shortPath(workspace, paths.haproxyConfig),
      };
    } else {
      warn(missingHaproxyWarning(gateways[0].url));
      state.frontDoor = { url: gateways[0].url, kind: 'direct', port: gateways[0].httpPort, pid: null, statsUrl: null, config: null };
    }
    save();

    // 5. readiness of every instance (bounded), then the front door
    const targets: ReadinessTarget[] = plans.map((p) => ({
      id: p.id,
      baseUrl: p.url,
      logFile: join(paths.logs, `${p.id}.log`),
      failure: () => {
        const s = supervisor.status(p.id);
        return s?.state === 'failed' ? `exited with code ${s.lastExit?.code} (configuration error); not restarted` : undefined;
      },
    }));
    say(`[ready] waiting for /livez and /readyz of ${targets.length} instances (up to ${seconds(options.readyTimeoutMs)})`);
    const result = await waitForReady(targets, {
      timeoutMs: options.readyTimeoutMs,
      signal: abort.signal,
      onReady: (target, n, total) => say(`[${n}/${total}] ${target.id} ready (${since()})`),
      onWaiting: (pending, elapsedMs) => say(`[ready] still waiting for ${pending.join(', ')} (${seconds(elapsedMs)})`),
    });
    if (stopping) return;
    const problems: string[] = [];
    if (result.notReady.length > 0) {
      problems.push(`${result.notReady.length} of ${targets.length} instances not ready`);
      warn(`[ready] NOT READY after ${seconds(options.readyTimeoutMs)}: ${result.notReady.map((n) => n.id).join(', ')}`);
      for (const n of result.notReady) {
        const status = supervisor.status(n.id);
        const restarts = status?.restarts ? ` (restarted ${status.restarts} times, last exit ${status.lastExit ? describeExit(status.lastExit) : '-'})` : '';
        warn(`  ${n.id}: ${n.reason}${restarts}; log: ${n.logFile ? shortPath(workspace, n.logFile) : '-'}`);
        const tail = tailFile(n.logFile, 3).split('\n').filter(Boolean);
        for (const line of tail) warn(`      ${line.length > 200 ? `${line.slice(0, 200)}...` : line}`);
      }
      warn('[ready] the platform keeps running (crashed instances keep being restarted); see: npm run failsoft -- status');
    }
    const url = state.frontDoor.url;
    if (state.frontDoor.kind === 'haproxy') {
      if (gateways.some((g) => result.ready.includes(g.id))) {
        const t = Date.now();
        try {
          await waitUntil(async () => (await probe(`${url}/readyz`, 1000)).status === 200, { timeoutMs: 10_000, intervalMs: 100, message: 'the front door' });
          say(`[front door] haproxy ready on ${url} (${seconds(Date.now() - t)}; stats ${state.frontDoor.statsUrl})`);
        } catch {
          problems.push('front door not ready');
          warn(`[front door] ${url} did not answer /readyz 200 within 10 s; haproxy log: ${shortPath(workspace, join(paths.logs, 'haproxy.log'))}`);
        }
      } else {
        problems.push('no gateway ready');
        warn(`[front door] no gateway is ready: ${url} answers 503 until one is`);
      }
    }
    if (stopping) return;

    // 6. demo content
    if (options.seed && !problems.includes('no gateway ready')) {
      const t = Date.now();
      const seeded = await seedDemoPosts(url, { log: warn });
      if (seeded.created > 0) say(`[seed] ${seeded.created} demo posts created as alice (${seconds(Date.now() - t)})`);
      else if (seeded.skipped && seeded.warnings.length === 0) say(`[seed] skipped: ${seeded.skipped}`);
    }
    if (stopping) return;

    // 7. the URL
    await refreshMaster();
    const likes1 = supervisor.status('likes-1');
    const hint = options.hasKillCommand ? 'failsoft kill likes' : `kill -9 ${likes1?.pid ?? '<pid of likes-1>'} (likes-1) and watch it come back`;
    if (problems.length === 0) {
      state.readyAt = new Date().toISOString();
      save();
      say(`\nFailsoft is up in ${since()}: ${url}`);
    } else {
      save();
      say(`\nFailsoft started in ${since()} with problems (${problems.join('; ')}; see above): ${url}`);
    }
    say(`  try: npm run failsoft -- status  |  ${hint}  |  Ctrl-C stops everything`);
  }
}
