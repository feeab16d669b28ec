import { execFile } from 'node:child_process';
import { validateFaultRule, InvalidOptionsError, type FaultRule, type FaultRuleInput } from '@failsoft/sidecar';
import { ChaosError } from './chaos.error';
import { redisZone } from '../redis-placement';
import type { RedisKillOptions, ChaosInstance, ChaosRedisNode, ChaosSignal, ChaosStatus, ChaosTarget } from './chaos-target';
import { breakersOf, leaseHolder, TRENDING_LEASE_KEY } from './platform-chaos-target';
import { rulesInForce } from './fault-rules';
import type { DockerRunner } from './docker-engine-runner';
import { cutScript, healScript, Netcut, parseCutLinks, planCuts, type CuttableContainer } from './compose-partitions';
import { composeRedisProblem } from './compose-redis-whole';
import { pairs, parseComposePs, parseInspect, type ContainerFacts, type PsEntry } from './compose-output.parser';

export { parseComposePs, parseInspect } from './compose-output.parser';

/** Master name the compose sentinels watch (docker-compose.yml: REDIS_MASTER_NAME). */
export const COMPOSE_MASTER_NAME = 'failsoft';
/** Port of the sentinels inside their containers. */
const SENTINEL_PORT = 26379;
/** The compose services of the data nodes and sentinels. */
const REDIS_SERVICES = ['redis-1', 'redis-2', 'redis-3'];
const SENTINEL_SERVICES = ['sentinel-1', 'sentinel-2', 'sentinel-3'];
/** Compose services of the front doors, HAProxy + keepalived each (their instance ids in the status are the same). */
const FRONT_DOOR_SERVICE = /^front-door-\d+$/;
/** Where each front door keeps its VRRP state (deploy/keepalived/front-door-notify.sh). */
const VRRP_STATE_FILE = '/run/front-door/vrrp.state';
const APP_SERVICE = /^(upload|likes|feed|gateway)-\d+$/;
/** Fault rules hash and change channel (the store's defaults). */
const FAULT_PREFIX = 'failsoft:faults';

/** Raised when `docker` cannot be run at all (not installed, no compose plugin): exit code 1. */
export class DockerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DockerUnavailableError';
  }
}

/** Options of {@link ComposeChaosTarget}. */
export interface ComposeChaosTargetOptions {
  /** The folder of docker-compose.yml (the workspace root). */
  cwd: string;
  /** Environment of the `docker` runs (PATH finds `docker`; FRONT_DOOR_PORT sets the URL). */
  env?: NodeJS.ProcessEnv;
  /** The `docker` executable (default `docker` from PATH). */
  docker?: string;
  /** Bound of one docker run (default 60 s). */
  timeoutMs?: number;
  /** Bound of waiting for a failover (default 30 s). */
  failoverTimeoutMs?: number;
  /** Pause between polls (default 500 ms). */
  pollMs?: number;
  /** Compose project name (`docker compose -p`); default: COMPOSE_PROJECT_NAME or the folder's name, as compose decides. */
  project?: string;
  /** Runs the docker commands instead of the `docker` CLI (the control agent: {@link engineApiRunner}). */
  runner?: DockerRunner;
  /** Where progress of slow steps goes (building the network cutter); default stderr. */
  progress?: (line: string) => void;
}


/** One-shot jobs of docker-compose.yml (the `certs` job): done, not down, once exited with 0. */
const ONE_SHOT_SERVICES = ['certs'];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Output of a docker run that only has Compose v1 (`docker-compose`): the `compose` subcommand is unknown. */
const NO_COMPOSE_V2 = /'compose' is not a docker command|unknown command:? "?(docker )?compose|unknown shorthand flag: 'p' in -p|unknown flag: --all/;

/**
 * Crashes the app inside its container: SIGKILL to every child of the container's init (the app
 * process; compose runs the apps with `init: true`). The container then exits by itself, so its
 * restart policy (`unless-stopped`) brings it back, unlike `docker compose kill`, which Docker
 * records as a manual stop and leaves down.
 */
const CRASH_SCRIPT = 'killed=0; for p in $(cat /proc/1/task/*/children 2>/dev/null); do kill -KILL "$p" && killed=$((killed+1)); done; [ "$killed" -gt 0 ] || { echo "no process under the container init to kill" >&2; exit 3; }';

/**
 * The {@link ChaosTarget} of the `docker compose` platform of docker-compose.yml (Compose v2, the
 * `docker compose` plugin): `docker compose kill -s SIGKILL <svc>` (KILL: held down, Docker does not
 * restart a container it was told to kill), `stop` (TERM), `pause`/`unpause` (STOP), `start`
 * (revive), `ps --format json` plus `docker inspect` (status, with restart counts) and
 * `exec -T <sentinel|redis> redis-cli ...` for Redis and the fault rules. {@link crash} kills the
 * app inside its container instead, and the restart policy heals it.
 */
export class ComposeChaosTarget implements ChaosTarget {
  readonly kind = 'compose' as const;
  readonly url: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly docker: string;
  private readonly timeoutMs: number;
  private readonly failoverTimeoutMs: number;
  private readonly pollMs: number;
  private readonly netcut: Netcut;

  constructor(private readonly options: ComposeChaosTargetOptions) {
    this.env = options.env ?? process.env;
    this.docker = options.docker ?? 'docker';
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.failoverTimeoutMs = options.failoverTimeoutMs ?? 30_000;
    this.pollMs = options.pollMs ?? 500;
    const port = this.env['FRONT_DOOR_PORT'];
    this.url = `http://localhost:${port && /^\d+$/.test(port) ? port : '8080'}`;
    this.netcut = new Netcut((args, timeoutMs) => this.run(args, timeoutMs), this.env['FAILSOFT_HAPROXY_IMAGE'], options.progress);
  }

  /** Runs `docker <args>` (or the runner's equivalent); rejects with what went wrong and what to do. */
  private run(args: readonly string[], timeoutMs = this.timeoutMs): Promise<string> {
    if (this.options.runner) return this.options.runner(args);
    return new Promise((resolve, reject) => {
      execFile(this.docker, args, { cwd: this.options.cwd, env: this.env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return reject(new DockerUnavailableError(`\`${this.docker}\` is not installed or not on PATH: --compose needs Docker with the compose plugin (or run the local platform: npm start)`));
        const text = `${stderr}\n${stdout}`;
        if (args[0] === 'compose' && NO_COMPOSE_V2.test(text)) {
          return reject(new DockerUnavailableError('--compose needs Compose v2 (`docker compose`), and this Docker has no compose plugin (Compose v1, `docker-compose`, is not supported). Install the plugin: https://docs.docker.com/compose/install/ (on Debian, as root: tools/container-engine.sh)'));
        }
        const detail = (stderr || stdout || error.message).trim().split('\n').slice(-3).join(' ');
        reject(new ChaosError('UNAVAILABLE', `docker ${args.join(' ')} failed (${typeof code === 'number' ? `exit ${code}` : (error.signal ?? code ?? 'error')}): ${detail}; is the compose platform up (docker compose up -d --build --wait)?`));
      });
    });
  }

  private compose(args: readonly string[]): Promise<string> {
    return this.run(['compose', ...(this.options.project ? ['-p', this.options.project] : []), ...args]);
  }

  private async ps(): Promise<PsEntry[]> {
    return parseComposePs(await this.compose(['ps', '--all', '--format', 'json']));
  }

  private redisCli(service: string, args: readonly string[], port?: number): Promise<string> {
    return this.compose(['exec', '-T', service, 'redis-cli', ...(port ? ['-p', String(port)] : []), ...args]);
  }

  private async runningSentinel(entries?: PsEntry[]): Promise<string> {
    const list = entries ?? (await this.ps());
    const found = SENTINEL_SERVICES.find((s) => list.some((e) => e.Service === s && e.State === 'running'));
    if (!found) throw new ChaosError('UNAVAILABLE', 'no sentinel container is running: revive one (failsoft sentinel revive 1 --compose) or docker compose up -d');
    return found;
  }

  /** The master's compose service (`redis-1`) as the sentinels name it. */
  private async masterService(entries?: PsEntry[]): Promise<string> {
    const reply = (await this.redisCli(await this.runningSentinel(entries), ['SENTINEL', 'get-master-addr-by-name', COMPOSE_MASTER_NAME], SENTINEL_PORT)).trim().split('\n');
    const host = reply[0]?.trim() ?? '';
    const service = REDIS_SERVICES.find((s) => s === host);
    if (!service) throw new ChaosError('UNAVAILABLE', `the sentinels name the master ${JSON.stringify(host)}, which is not a compose service (${REDIS_SERVICES.join(', ')}); are announce-hostnames on?`);
    return service;
  }

  private async entryOf(id: string): Promise<PsEntry> {
    const entries = await this.ps();
    const chaosIds = entries.map((e) => e.Service).filter(isChaosInstance);
    const found = entries.find((e) => e.Service === id && chaosIds.includes(id));
    if (!found) throw new ChaosError('NOT_FOUND', `no instance ${JSON.stringify(id)} in the compose platform; it runs ${chaosIds.join(', ') || 'nothing (docker compose up -d --build --wait)'}`);
    return found;
  }

  private async waitForNewMaster(old: string): Promise<string> {
    const deadline = Date.now() + this.failoverTimeoutMs;
    let last = old;
    while (Date.now() < deadline) {
      try {
        last = await this.masterService();
        if (last !== old) return last;
      } catch {
        // mid-failover
      }
      await sleep(this.pollMs);
    }
    throw new ChaosError('UNAVAILABLE', `the sentinels still name ${last} the master ${this.failoverTimeoutMs / 1000} s later; see: docker compose logs sentinel-1`);
  }

  /** Restart counts, pids and zones of the containers (empty when `docker inspect` cannot tell). */
  private async facts(entries: readonly PsEntry[]): Promise<Map<string, ContainerFacts>> {
    const ids = entries.map((e) => e.ID).filter((id): id is string => typeof id === 'string' && id !== '');
    if (ids.length === 0) return new Map();
    return parseInspect(await this.run(['inspect', ...ids]).catch(() => '[]'));
  }

  async status(): Promise<ChaosStatus> {
    const entries = await this.ps();
    const facts = await this.facts(entries);
    const instances: ChaosInstance[] = entries
      .filter((e) => isChaosInstance(e.Service))
      .map((e) => ({
        id: e.Service,
        service: serviceOf(e.Service),
        state: stateOf(e),
        pid: facts.get(e.Service)?.pid ?? null,
        zone: facts.get(e.Service)?.zone ?? null,
        url: null,
        restarts: facts.get(e.Service)?.restarts ?? 0,
        ready: e.State !== 'running' ? false : e.Health ? e.Health === 'healthy' : null,
      }));
    await Promise.all(instances.filter((i) => i.service === 'haproxy').map(async (i) => (i.role = i.state === 'running' ? await this.vrrpRoleOf(i.id) : 'unknown')));
    const master = await this.masterService(entries).catch(() => null);
    const node = (e: PsEntry, role: ChaosRedisNode['role'], port: number): ChaosRedisNode => ({
      host: e.Service,
      port,
      pid: facts.get(e.Service)?.pid ?? null,
      role,
      state: e.State === 'running' ? 'running' : e.State === 'paused' ? 'paused' : 'down',
      name: e.Service,
      zone: redisZone(Math.max(0, Number(e.Service.split('-').pop()) - 1)),
    });
    const nodes: ChaosRedisNode[] = [
      ...entries.filter((e) => REDIS_SERVICES.includes(e.Service)).map((e) => node(e, e.Service === master ? 'master' : 'replica', 6379)),
      ...entries.filter((e) => SENTINEL_SERVICES.includes(e.Service)).map((e) => node(e, 'sentinel', SENTINEL_PORT)),
    ];
    const leader = master ? await this.redisCli(master, ['GET', TRENDING_LEASE_KEY]).then((t) => leaseHolder(t.trim()), () => null) : null;
    const breakers: Record<string, Record<string, string>> = {};
    for (const g of entries.filter((e) => /^gateway-\d+$/.test(e.Service) && e.State === 'running')) {
      const script = "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/snapshot').then(r=>r.text()).then(t=>process.stdout.write(t),()=>process.exit(1))";
      try {
        breakers[g.Service] = breakersOf(JSON.parse(await this.compose(['exec', '-T', g.Service, 'node', '-e', script])));
      } catch {
        // a gateway that does not answer shows no breakers
      }
    }
    const faults = master ? await this.listFaults().catch(() => [] as FaultRule[]) : [];
    return { kind: 'compose', url: this.url, instances, redis: { master: master ? `${master}:6379` : null, nodes }, trendingLeader: leader, breakers, faults };
  }

  /** The VRRP state front door `id` wrote last (MASTER holds the virtual IP); `unknown` when it cannot be read. */
  private async vrrpRoleOf(id: string): Promise<NonNullable<ChaosInstance['role']>> {
    return this.compose(['exec', '-T', id, 'cat', VRRP_STATE_FILE]).then(vrrpRole, () => 'unknown' as const);
  }

  async instancesOf(service: string): Promise<string[]> {
    const ids = (await this.ps()).map((e) => e.Service).filter((s) => isChaosInstance(s) && serviceOf(s) === service);
    if (ids.length === 0) throw new ChaosError('NOT_FOUND', `no service ${JSON.stringify(service)} in the compose platform; services are upload, likes, feed, gateway, haproxy`);
    return ids;
  }

  async kill(id: string, signal: ChaosSignal): Promise<void> {
    const entry = await this.entryOf(id);
    if (signal === 'KILL') await this.compose(['kill', '-s', 'SIGKILL', id]);
    else if (signal === 'TERM') await this.compose(['stop', id]);
    else if (signal === 'STOP') {
      if (entry.State !== 'running') throw new ChaosError('CONFLICT', `${id} is ${entry.State}: there is no running container to pause (revive it first)`);
      await this.compose(['pause', id]);
    } else throw new ChaosError('BAD_REQUEST', `signal must be KILL, TERM or STOP; got ${JSON.stringify(signal)}`);
  }

  /**
   * Crashes an app instance from inside its container (SIGKILL to the app process): the container
   * exits by itself and the restart policy brings it back within seconds, with no revive. Resolves
   * with the restart count before the crash. @throws CONFLICT when the container is not running.
   */
  async crash(id: string): Promise<number> {
    const entry = await this.entryOf(id);
    if (entry.State !== 'running') throw new ChaosError('CONFLICT', `${id} is ${entry.State}: there is no running app to crash (failsoft revive ${id} --compose first)`);
    const before = (await this.facts([entry])).get(id)?.restarts ?? 0;
    await this.compose(['exec', '-T', id, 'sh', '-c', CRASH_SCRIPT]).catch((error: Error) => {
      // the exec session dies with the container when the kill lands first: that is a success
      if (!/exit (137|143|-1)|EOF|is not running|has exited|exit 255/.test(error.message)) throw error;
    });
    return before;
  }

  async revive(id: string): Promise<void> {
    const entry = await this.entryOf(id);
    if (entry.State === 'paused') await this.compose(['unpause', id]);
    else if (entry.State !== 'running') await this.compose(['start', id]);
  }

  async redisFailover(): Promise<string> {
    const entries = await this.ps();
    const old = await this.masterService(entries);
    await this.redisCli(await this.runningSentinel(entries), ['SENTINEL', 'FAILOVER', COMPOSE_MASTER_NAME], SENTINEL_PORT);
    return `${await this.waitForNewMaster(old)}:6379`;
  }

  async redisKillMaster(): Promise<string> {
    const master = await this.masterService();
    await this.compose(['kill', '-s', 'SIGKILL', master]);
    // like the local platform: once the sentinels failed over, the old master comes back as a replica
    await this.waitForNewMaster(master);
    await this.compose(['start', master]);
    return `${master}:6379`;
  }

  async redisPauseMaster(): Promise<string> {
    const master = await this.masterService();
    await this.compose(['pause', master]);
    return `${master}:6379`;
  }

  async redisResume(): Promise<void> {
    const paused = (await this.ps()).filter((e) => REDIS_SERVICES.includes(e.Service) && e.State === 'paused').map((e) => e.Service);
    if (paused.length) await this.compose(['unpause', ...paused]);
  }

  async redisKillNode(node: string, options: RedisKillOptions): Promise<string> {
    const service = redisService(node);
    const master = options.replicaOnly || !options.hold ? await this.masterService() : undefined;
    if (options.replicaOnly && master === service) throw new ChaosError('CONFLICT', `${service} is the master, not a replica; kill a replica (failsoft status --compose shows the roles) or the master with: failsoft redis kill-master --compose`);
    await this.compose(['kill', '-s', 'SIGKILL', service]);
    if (!options.hold) {
      // like the local platform: back as a replica (after the failover when it was the master)
      if (master === service) await this.waitForNewMaster(service);
      await this.compose(['start', service]);
    }
    return `${service} ${service}:6379`;
  }

  async redisReviveNode(node: string): Promise<string> {
    const service = redisService(node);
    await this.compose(['start', service]);
    return `${service} ${service}:6379`;
  }

  /**
   * Cuts links between containers (`redis-N`, `sentinel-N`, app instance ids, `clients` = every
   * other app instance) with iptables rules in their own network namespaces, set by a throwaway
   * privileged container (deploy/netcut; built on first use). See {@link planCuts} and {@link cutScript}.
   */
  async partition(groups: string[][]): Promise<string[]> {
    const containers = await this.cuttable();
    const plan = planCuts(groups, containers);
    return parseCutLinks(await this.netcut.exec(cutScript(plan, containers)), containers);
  }

  /** Empties the cut chain of every running data node, sentinel and app container. */
  async heal(): Promise<void> {
    const containers = await this.cuttable();
    const left = parseCutLinks(await this.netcut.exec(healScript(containers)), containers);
    if (left.length) throw new ChaosError('UNAVAILABLE', `links still cut after heal: ${left.join(', ')}; run failsoft heal --compose again`);
  }

  /** The running containers that can be cut: data nodes, sentinels and app instances, with pid and address. */
  private async cuttable(): Promise<CuttableContainer[]> {
    const entries = (await this.ps()).filter((e) => e.State === 'running' && (REDIS_SERVICES.includes(e.Service) || SENTINEL_SERVICES.includes(e.Service) || APP_SERVICE.test(e.Service)));
    const facts = await this.facts(entries);
    return entries.flatMap((e) => {
      const f = facts.get(e.Service);
      return f?.pid && f.ip ? [{ name: e.Service, pid: f.pid, ip: f.ip, app: APP_SERVICE.test(e.Service) }] : [];
    });
  }

  async killSentinel(index: number): Promise<void> {
    await this.compose(['kill', '-s', 'SIGKILL', sentinelService(index)]);
  }

  async reviveSentinel(index: number): Promise<void> {
    await this.compose(['start', sentinelService(index)]);
  }

  async addFault(input: FaultRuleInput): Promise<FaultRule> {
    let rule: FaultRule;
    try {
      rule = validateFaultRule(input);
    } catch (error) {
      if (error instanceof InvalidOptionsError) throw new ChaosError('BAD_REQUEST', error.message);
      throw error;
    }
    const master = await this.masterService();
    // the format of RedisFaultRuleStore.set: the rule as JSON in the hash, {op,id} on the channel
    await this.redisCli(master, ['HSET', `${FAULT_PREFIX}:rules`, rule.id, JSON.stringify(rule)]);
    await this.redisCli(master, ['PUBLISH', `${FAULT_PREFIX}:changed`, JSON.stringify({ op: 'set', id: rule.id })]);
    return rule;
  }

  async removeFault(id: string): Promise<void> {
    const master = await this.masterService();
    const removed = (await this.redisCli(master, ['HDEL', `${FAULT_PREFIX}:rules`, id])).trim();
    await this.redisCli(master, ['PUBLISH', `${FAULT_PREFIX}:changed`, JSON.stringify({ op: 'remove', id })]);
    if (removed === '0') throw new ChaosError('NOT_FOUND', `no fault rule ${JSON.stringify(id)} (see: failsoft fault --list --compose)`);
  }

  async listFaults(): Promise<FaultRule[]> {
    const master = await this.masterService();
    return rulesInForce(pairs(await this.redisCli(master, ['HGETALL', `${FAULT_PREFIX}:rules`])));
  }

  async waitForHealthy(waitMs: number): Promise<void> {
    const deadline = Date.now() + waitMs;
    let problem = 'not checked yet';
    while (Date.now() < deadline) {
      try {
        const entries = await this.ps();
        const done = (e: PsEntry): boolean => ONE_SHOT_SERVICES.includes(e.Service) && e.State === 'exited' && e.ExitCode === 0;
        const bad = entries.filter((e) => !done(e) && (e.State !== 'running' || (e.Health !== undefined && e.Health !== '' && e.Health !== 'healthy')));
        problem = `not healthy: ${bad.map((e) => `${e.Service} (${e.State}${e.Health ? `, ${e.Health}` : ''})`).join(', ')}`;
        if (bad.length === 0) {
          const running = (names: string[]): string[] => names.filter((n) => entries.some((e) => e.Service === n && e.State === 'running'));
          const redis = await composeRedisProblem((s, a, p) => this.redisCli(s, a, p), { sentinels: running(SENTINEL_SERVICES), data: running(REDIS_SERVICES) }, SENTINEL_PORT, COMPOSE_MASTER_NAME);
          if (redis === undefined) return;
          problem = `Redis is not whole: ${redis}`;
        }
      } catch (error) {
        problem = (error as Error).message;
      }
      await sleep(this.pollMs);
    }
    throw new ChaosError('UNAVAILABLE', `the compose platform is not healthy after ${waitMs / 1000} s: ${problem}`);
  }
}

/** The {@link ComposeChaosTarget} of docker-compose.yml in `options.cwd`. */
export function composeChaosTarget(options: ComposeChaosTargetOptions): ComposeChaosTarget {
  return new ComposeChaosTarget(options);
}

function isChaosInstance(service: string): boolean {
  return APP_SERVICE.test(service) || FRONT_DOOR_SERVICE.test(service);
}

function serviceOf(id: string): string {
  return APP_SERVICE.test(id) ? id.replace(/-\d+$/, '') : FRONT_DOOR_SERVICE.test(id) ? 'haproxy' : id;
}

/** A front door's VRRP role from its state file's text (`unknown` when it says nothing known). */
export function vrrpRole(text: string): NonNullable<ChaosInstance['role']> {
  const word = text.trim().toUpperCase();
  return word === 'MASTER' || word === 'BACKUP' || word === 'FAULT' ? word : 'unknown';
}

function stateOf(e: PsEntry): string {
  return e.State === 'running' ? 'running' : e.State === 'paused' ? 'paused' : e.State === 'exited' || e.State === 'dead' ? 'held' : e.State;
}

/** The compose service of data node `node` (`redis-2` or `2`). @throws ChaosError NOT_FOUND naming them. */
function redisService(node: string): string {
  const m = /^(?:redis-)?(\d{1,2})$/.exec(node.trim());
  const service = m ? REDIS_SERVICES[Number(m[1]) - 1] : undefined;
  if (!service) throw new ChaosError('NOT_FOUND', `no Redis data node ${JSON.stringify(node)} in the compose platform; the data nodes are ${REDIS_SERVICES.join(', ')}`);
  return service;
}

function sentinelService(index: number): string {
  const service = SENTINEL_SERVICES[index];
  if (!Number.isInteger(index) || !service) throw new ChaosError('NOT_FOUND', `no sentinel ${index}; there are ${SENTINEL_SERVICES.length} (0-based)`);
  return service;
}

/** Where the compose fault rules live (RedisFaultRuleStore's default prefix: libs/sidecar/src/lib/faults/redis-fault-rule.store.ts). */
export const COMPOSE_FAULT_KEYS = { rules: `${FAULT_PREFIX}:rules`, channel: `${FAULT_PREFIX}:changed` } as const;
