import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { getFreePort, Supervisor, waitUntil } from '@failsoft/local-runtime';
import { buildProjects, staleServices } from '../build';
import { PlatformChaosTarget } from '../chaos/platform-chaos-target';
import { CONTROL_TOKEN_ENV, CONTROL_URL_ENV } from '../control/control.constants';
import { startControlServer, type ControlServer } from '../control/control.server';
import { failsoftPaths, shortPath, type FailsoftPaths, type RunState } from '../run-state';
import { serviceRedisAuth } from './redis-auth';
import { loadOrCreateSecrets, operatorPasswordNotice, type PlatformSecrets } from '../secrets';
import { seedDemoPosts } from '../seed';
import { COMMON_ENV, planInstances, SERVICE_NAMES, type InstancePlan, type ServiceName } from '../topology';
import { seconds } from './format';
import { FrontDoor } from './front-door';
import { LocalRedis } from './local-redis';
import { findPrometheus, LocalPrometheus, PROMETHEUS_ID } from './local-prometheus';
import type { Platform, PlatformProcess, StartPlatformOptions } from './platform.types';
import { ReadinessGate } from './readiness-gate';
import { RunStateStore } from './run-state-store';
import { StartSteps, type StartStep } from './start-steps';

/** How long services get to drain on SIGTERM before SIGKILL. */
const DRAIN_TIMEOUT_MS = 10_000;

/** Variables the platform sets for its children: never inherited from the caller's shell. */
const OWN_ENV = new Set<string>([...COMMON_ENV, 'GRPC_PORT', 'AUTH_SECRET', 'FAILSOFT_UP_RUNNER', 'FAILSOFT_STARTED_AT', CONTROL_URL_ENV, CONTROL_TOKEN_ENV]);

/** Settings of a {@link LocalPlatform} (defaults applied by `startPlatform` / `runPlatform`). */
export type LocalPlatformOptions = Required<Pick<StartPlatformOptions, 'frontDoorPort' | 'zones' | 'seed' | 'readyTimeoutMs' | 'logLevel' | 'build'>> &
  Pick<StartPlatformOptions, 'env' | 'stateDir' | 'control' | 'prometheus'> & { workspace: string; startedAt: number; hasKillCommand: boolean; drainTimeoutMs?: number };

/**
 * The local platform: Redis + Sentinel ({@link LocalRedis}), every service instance under the
 * {@link Supervisor}, the {@link FrontDoor}, readiness ({@link ReadinessGate}), demo posts and
 * the run-state file ({@link RunStateStore}). `start()` is a list of named steps, each with its
 * undo; `stop()` undoes the steps that began, last first. `failsoft up` and tests run the same code.
 */
export class LocalPlatform implements Platform {
  readonly paths: FailsoftPaths;
  readonly supervisor: Supervisor;
  readonly problems: string[] = [];
  readonly redis: LocalRedis;
  startupMs = 0;
  private readonly say: (line: string) => void;
  private readonly warn: (line: string) => void;
  private readonly abort = new AbortController();
  private readonly drainTimeoutMs: number;
  private readonly store: RunStateStore;
  private readonly door: FrontDoor;
  private readonly gate: ReadinessGate;
  private readonly steps: StartSteps;
  private readonly prom: LocalPrometheus;
  private plans: InstancePlan[] = [];
  private secrets: PlatformSecrets | undefined;
  private control: ControlServer | undefined;
  private stopping: Promise<void> | undefined;
  private stopReason = 'stop';
  private resolveStopped!: () => void;
  /** Resolves once stop() has finished (whoever called it: a signal, a test, a failed start). */
  readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));
  private readonly onExit = (): void => this.supervisor.killAllNow(); // never leave a child behind, however this process ends

  constructor(
    private readonly options: LocalPlatformOptions,
    io: { say: (line: string) => void; warn: (line: string) => void },
  ) {
    const { workspace } = options;
    this.say = io.say;
    this.warn = io.warn;
    this.drainTimeoutMs = options.drainTimeoutMs ?? DRAIN_TIMEOUT_MS;
    this.paths = failsoftPaths(workspace, options.stateDir);
    this.supervisor = new Supervisor({ log: this.warn, stopTimeoutMs: this.drainTimeoutMs });
    const short = (path: string): string => shortPath(workspace, path);
    const isStopping = (): boolean => this.stopping !== undefined;
    this.redis = new LocalRedis({ supervisor: this.supervisor, logs: this.paths.logs, say: this.say, warn: this.warn, onChange: () => this.save(), isStopping, workspace });
    // partitions may name a service instance (`gateway-1`): the relays find the owner of a client socket among these
    this.redis.network?.identifyClients(() => this.processes().filter((p) => (SERVICE_NAMES as readonly string[]).includes(p.service)).map((p) => ({ name: p.id, pid: p.pid })));
    this.door = new FrontDoor({ workspace, paths: this.paths, supervisor: this.supervisor, say: this.say, warn: this.warn, short });
    this.gate = new ReadinessGate({ supervisor: this.supervisor, logs: this.paths.logs, signal: this.abort.signal, say: this.say, warn: this.warn, short, plans: () => this.plans });
    const scrape = typeof options.prometheus === 'object' ? options.prometheus.scrapeIntervalS : undefined;
    this.prom = new LocalPrometheus({ supervisor: this.supervisor, dir: join(this.paths.root, 'prometheus'), logs: this.paths.logs, scrapeIntervalS: scrape, say: this.say });
    this.store = new RunStateStore(
      this.paths,
      workspace,
      options.startedAt,
      { processes: () => this.processStates(), frontDoor: () => this.door.runState(), redis: () => this.redis.runState(short), prometheus: () => this.prom.runState(short) },
      this.warn,
    );
    this.supervisor.on('spawn', () => this.prom.url !== undefined && this.prom.writeTargets(this.scrapeTargets()));
    this.steps = new StartSteps(isStopping, (step, error) => this.warn(`[stop] undoing "${step}" failed: ${error.message}`));
    for (const event of ['spawn', 'exit', 'gave-up'] as const) this.supervisor.on(event, () => this.save());
    process.on('exit', this.onExit);
  }

  get url(): string {
    return this.door.url;
  }

  get frontDoor(): RunState['frontDoor'] {
    return this.door.runState();
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  runState(): RunState {
    return this.store.snapshot();
  }

  /**
   * Starts everything, step by step. Resolves once the URL is printed (with `problems` naming what
   * is not ready); rejects when the platform cannot start at all (the caller then stops it, which
   * undoes the steps that began).
   */
  async start(): Promise<void> {
    await this.steps.run(this.startSteps());
  }

  /** The steps of a start, in order; `stop()` undoes the begun ones last first. */
  private startSteps(): StartStep[] {
    return [
      { name: 'files', run: () => this.claimFiles() },
      { name: 'build and Redis', run: () => this.buildAndRedis(), undo: () => this.redis.stop() },
      { name: 'plan', run: () => this.plan() },
      { name: 'control channel', run: () => this.startControl(), undo: () => this.closeControl() },
      { name: 'front door', run: () => this.door.start(this.plans.filter((p) => p.service === 'gateway')).then(() => this.save()), undo: () => this.door.stop() },
      { name: 'services', run: () => this.startServices(), undo: () => this.stopServices() },
      { name: 'prometheus', run: () => this.startPrometheus(), undo: () => this.prom.stop() },
      { name: 'readiness', run: () => this.awaitReadiness() },
      { name: 'demo posts', run: () => this.seed() },
      { name: 'announce', run: () => this.announce() },
    ];
  }

  /** One platform per folder of files; cleans up after a previous run that died abruptly. */
  private claimFiles(): void {
    const killed = this.store.claim();
    if (killed.length) this.say(`[cleanup] killed ${killed.length} leftover processes of a previous run that did not stop cleanly (pids ${killed.join(', ')})`);
    mkdirSync(this.paths.redis, { recursive: true });
    const { secrets, created, newOperatorPassword } = loadOrCreateSecrets(this.paths.secrets);
    this.secrets = secrets;
    this.say(`failsoft up: starting the local platform (${shortPath(this.options.workspace, this.paths.root)}/ holds logs, run-state${created ? ', new secrets' : ', secrets'})`);
    if (newOperatorPassword) this.say(operatorPasswordNotice(secrets.operatorPassword, shortPath(this.options.workspace, this.paths.secrets)));
  }

  /** Builds stale services and starts Redis, in parallel. */
  private async buildAndRedis(): Promise<void> {
    const [built, redis] = await Promise.allSettled([this.build(), this.redis.start(this.paths.redis, (this.secrets as PlatformSecrets).redis)]);
    if (this.stopping) return;
    if (built.status === 'rejected') throw new Error(`${(built.reason as Error).message}\nFix the build and run npm start again.`);
    if (redis.status === 'rejected') throw new Error(`could not start Redis: ${(redis.reason as Error).message}`);
  }

  private async build(): Promise<void> {
    const { workspace, build } = this.options;
    const stale = staleServices(workspace, SERVICE_NAMES);
    if (stale.length > 0 && !build) throw new Error(`the build of ${stale.join(', ')} is missing or older than its sources; run: npx nx run-many -t build`);
    if (stale.length === 0) return this.say('[build] dist is up to date');
    this.say(`[build] ${stale.join(', ')}: build missing or older than the sources; running nx run-many -t build (cached when unchanged)`);
    const t = Date.now();
    await buildProjects(workspace, SERVICE_NAMES, this.say, this.abort.signal);
    this.say(`[build] done (${seconds(Date.now() - t)})`);
  }

  /** Plans every instance (free ports, env from topology.ts) and picks the front door's port. */
  private async plan(): Promise<void> {
    const topo = this.redis.topology;
    const secrets = this.secrets as PlatformSecrets;
    this.plans = await planInstances(
      { sentinels: topo.sentinels, masterName: topo.masterName, failsoftToken: secrets.failsoftToken, authSecret: secrets.authSecret, operatorPassword: secrets.operatorPassword, logLevel: this.options.logLevel, redisAuth: serviceRedisAuth(secrets.redis) },
      { zones: this.options.zones, freePort: () => getFreePort() },
    );
    await this.door.choosePort(this.options.frontDoorPort);
    this.save();
  }

  /** The control channel (chaos commands, the console's buttons through the gateways). */
  private async startControl(): Promise<void> {
    if (this.options.control === false) return;
    this.control = await startControlServer({ target: new PlatformChaosTarget(this), log: this.say });
    this.store.update({ control: { url: this.control.url, token: this.control.token } });
  }

  private async closeControl(): Promise<void> {
    await this.control?.close();
    this.store.update({ control: undefined });
  }

  /** Every instance under the supervisor; the gateways get the control channel. */
  private startServices(): void {
    const { workspace, env } = this.options;
    const controlEnv: Record<string, string> = this.control ? { [CONTROL_URL_ENV]: this.control.url, [CONTROL_TOKEN_ENV]: this.control.token } : {};
    const extraEnv = Object.fromEntries(Object.entries(env ?? {}).filter(([name]) => !OWN_ENV.has(name)));
    const baseEnv = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !OWN_ENV.has(name))), ...extraEnv };
    for (const plan of this.plans) {
      this.supervisor.start({
        id: plan.id,
        command: process.execPath,
        args: [join(workspace, plan.main)],
        env: { ...baseEnv, ...plan.env, ...(plan.service === 'gateway' ? controlEnv : {}) },
        cwd: workspace,
        logFile: join(this.paths.logs, `${plan.id}.log`),
      });
    }
    const counts = SERVICE_NAMES.map((s) => `${this.plans.filter((p) => p.service === s).length} ${s}`).join(', ');
    this.say(`[start] ${this.plans.length} instances (${counts}); logs in ${this.store.logsDir}/<id>.log`);
    this.save();
  }

  private async stopServices(): Promise<void> {
    this.say(`\n[stop] ${this.stopReason}: stopping the services (SIGTERM, up to ${this.drainTimeoutMs / 1000} s to drain; Ctrl-C again to kill at once)`);
    await this.supervisor.stopAll({ ids: this.plans.map((p) => p.id), timeoutMs: this.drainTimeoutMs });
  }

  /** URL of the local Prometheus, when one runs. */
  get prometheusUrl(): string | undefined {
    return this.prom.url;
  }

  /** A local Prometheus scraping every instance, when asked for and a `prometheus` binary is found. */
  private async startPrometheus(): Promise<void> {
    if (this.options.prometheus === false || this.options.prometheus === undefined) return;
    const binary = findPrometheus();
    if (binary === undefined) {
      this.say('[prometheus] no prometheus binary on the PATH (Debian: apt-get install prometheus): metrics are served at each instance\'s /metrics only');
      return;
    }
    const t = Date.now();
    await this.prom.start(binary, this.scrapeTargets());
    this.say(`[prometheus] ${this.prom.url} scrapes ${this.plans.length} instances every ${typeof this.options.prometheus === 'object' ? (this.options.prometheus.scrapeIntervalS ?? 5) : 5} s (${seconds(Date.now() - t)})`);
  }

  private scrapeTargets(): Array<{ id: string; service: string; zone: string; address: string }> {
    return this.plans.map((p) => ({ id: p.id, service: p.service, zone: p.zone, address: `127.0.0.1:${p.httpPort}` }));
  }

  /** Readiness of every instance (bounded), then of the front door. */
  private async awaitReadiness(): Promise<void> {
    const since = (): string => seconds(Date.now() - this.options.startedAt);
    const { ready, problem } = await this.gate.atStart(this.options.readyTimeoutMs, since);
    if (this.stopping) return;
    if (problem) this.problems.push(problem);
    const doorProblem = await this.door.waitReady(this.plans.some((p) => p.service === 'gateway' && ready.includes(p.id)));
    if (doorProblem) this.problems.push(doorProblem);
  }

  /** The demo content (skipped without a ready gateway). */
  private async seed(): Promise<void> {
    if (!this.options.seed || this.problems.includes('no gateway ready')) return;
    const t = Date.now();
    const seeded = await seedDemoPosts(this.url, { log: this.warn });
    if (seeded.created > 0) this.say(`[seed] ${seeded.created} demo posts created as alice (${seconds(Date.now() - t)})`);
    else if (seeded.skipped && seeded.warnings.length === 0) this.say(`[seed] skipped: ${seeded.skipped}`);
  }

  /** The URL, and what to try. */
  private async announce(): Promise<void> {
    await this.redis.refreshMaster();
    this.startupMs = Date.now() - this.options.startedAt;
    const since = seconds(this.startupMs);
    const likes1 = this.supervisor.status('likes-1');
    const hint = this.options.hasKillCommand ? 'failsoft kill likes' : `kill -9 ${likes1?.pid ?? '<pid of likes-1>'} (likes-1) and watch it come back`;
    if (this.problems.length === 0) {
      this.store.update({ readyAt: new Date().toISOString() });
      this.say(`\nFailsoft is up in ${since}: ${this.url}`);
    } else {
      this.save();
      this.say(`\nFailsoft started in ${since} with problems (${this.problems.join('; ')}; see above): ${this.url}`);
    }
    if (this.prom.url !== undefined) this.say(`  metrics: ${this.prom.url}  (PromQL: ${this.prom.url}/api/v1/query?query=count(up==1))`);
    this.say(`  try: npm run failsoft -- status  |  ${hint}  |  Ctrl-C stops everything`);
  }

  /** Stops everything: the begun start steps are undone last first (services drain → front door → control → Redis). Idempotent. */
  stop(reason = 'stop'): Promise<void> {
    this.stopping ??= (async () => {
      const t = Date.now();
      this.stopReason = reason;
      this.abort.abort();
      this.supervisor.beginShutdown();
      await this.control?.close(); // no chaos while stopping
      await this.steps.undo();
      await this.supervisor.stopAll({ timeoutMs: 3000 }); // anything left (none when every step undid its own)
      this.store.update({ stoppedAt: new Date().toISOString() });
      process.off('exit', this.onExit);
      this.say(`[stop] everything stopped in ${seconds(Date.now() - t)}; logs are kept in ${this.store.logsDir}/`);
    })().finally(() => this.resolveStopped());
    return this.stopping;
  }

  /** SIGKILLs every child at once (second Ctrl-C). */
  killAllNow(): void {
    this.supervisor.killAllNow();
  }

  private save(): void {
    this.store.save();
  }

  // ---- the processes, for chaos and control ----

  /** The service instances as the run-state file shows them. */
  private processStates(): RunState['processes'] {
    const statuses = new Map(this.supervisor.list().map((s) => [s.id, s]));
    return this.plans.map((p) => {
      const s = statuses.get(p.id);
      const logFile = shortPath(this.options.workspace, join(this.paths.logs, `${p.id}.log`));
      return { id: p.id, service: p.service, pid: s?.pid ?? null, httpPort: p.httpPort, grpcPort: p.grpcPort ?? null, zone: p.zone, url: p.url, logFile, state: s?.state ?? 'pending', restarts: s?.restarts ?? 0 };
    });
  }

  processes(): PlatformProcess[] {
    const plans = new Map(this.plans.map((p) => [p.id, p]));
    return this.supervisor.list().map((s) => {
      const plan = plans.get(s.id);
      const service: PlatformProcess['service'] = plan ? plan.service : /^haproxy-\d+$/.test(s.id) ? 'haproxy' : s.id === PROMETHEUS_ID ? s.id : 'sentinel';
      const pid = s.state === 'running' || s.state === 'stopping' ? s.pid : undefined;
      return { id: s.id, service, pid, state: s.state, restarts: s.restarts, url: plan?.url, httpPort: plan?.httpPort, grpcPort: plan?.grpcPort, zone: plan?.zone, logFile: s.logFile };
    });
  }

  process(id: string): PlatformProcess {
    const found = this.processes().find((p) => p.id === id);
    if (!found) throw new RangeError(`no process ${JSON.stringify(id)}; the platform runs ${this.processes().map((p) => p.id).join(', ')}`);
    return found;
  }

  instancesOf(service: ServiceName): string[] {
    return this.plans.filter((p) => p.service === service).map((p) => p.id);
  }

  killInstance(id: string, signal: NodeJS.Signals = 'SIGKILL'): number {
    this.process(id);
    const pid = this.supervisor.kill(id, signal);
    if (pid === undefined) throw new Error(`${id} has no live process to signal (state ${this.supervisor.status(id)?.state})`);
    return pid;
  }

  async stopInstance(id: string, options: { signal?: NodeJS.Signals; timeoutMs?: number } = {}): Promise<void> {
    this.process(id);
    await this.supervisor.stop(id, { signal: options.signal, timeoutMs: options.timeoutMs ?? this.drainTimeoutMs });
    this.save();
  }

  async startInstance(id: string): Promise<void> {
    this.process(id);
    await waitUntil(() => this.supervisor.status(id)?.state !== 'stopping', { timeoutMs: this.drainTimeoutMs + 5000, intervalMs: 20, message: `${id} to finish stopping` });
    this.supervisor.startAgain(id);
  }

  waitForReady(ids?: readonly string[], timeoutMs = 45_000): Promise<void> {
    return this.gate.waitOrThrow(ids, timeoutMs);
  }

  async waitForHealthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const left = (): number => Math.max(1, deadline - Date.now());
    await waitUntil(
      () => {
        const down = this.supervisor.list().filter((s) => s.state !== 'running');
        if (down.length > 0) throw new Error(`not running: ${down.map((s) => `${s.id} (${s.state})`).join(', ')}`);
        return true;
      },
      { timeoutMs: left(), intervalMs: 50, message: 'every supervised process to run' },
    );
    await this.waitForReady(undefined, left());
    await this.redis.waitForHealthy(left());
    await this.door.waitAllUp(this.instancesOf('gateway'), left());
  }

  frontDoorServersUp(): Promise<string[]> {
    return this.door.serversUp();
  }

  frontDoorIds(): string[] {
    return this.door.ids;
  }

  frontDoorConnections(): Promise<Record<string, number>> {
    return this.door.acceptedConnections();
  }
}
