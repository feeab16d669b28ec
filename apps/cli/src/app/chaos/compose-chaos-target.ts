import { execFile } from 'node:child_process';
import { validateFaultRule, InvalidOptionsError, type FaultRule, type FaultRuleInput } from '@failsoft/sidecar';
import { ChaosError } from './chaos.error';
import type { ChaosInstance, ChaosRedisNode, ChaosSignal, ChaosStatus, ChaosTarget } from './chaos-target';
import { breakersOf, leaseHolder, TRENDING_LEASE_KEY } from './platform-chaos-target';
import { rulesInForce } from './fault-rules';

/** Master name the compose sentinels watch (docker-compose.yml: REDIS_MASTER_NAME). */
export const COMPOSE_MASTER_NAME = 'failsoft';
/** Port of the sentinels inside their containers. */
const SENTINEL_PORT = 26379;
/** The compose services of the data nodes and sentinels. */
const REDIS_SERVICES = ['redis-1', 'redis-2', 'redis-3'];
const SENTINEL_SERVICES = ['sentinel-1', 'sentinel-2', 'sentinel-3'];
/** Compose service of the front door (its instance id in the status is the same). */
const FRONT_DOOR_SERVICE = 'front-door';
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

/** Options of {@link composeChaosTarget}. */
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
}

/** One line of `docker compose ps --format json`. */
interface PsEntry {
  Service: string;
  Name?: string;
  State: string;
  Health?: string;
}

/** Parses `docker compose ps --format json`: a JSON array (older compose) or one object per line (newer). */
export function parseComposePs(text: string): PsEntry[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const raw: unknown[] = trimmed.startsWith('[') ? (JSON.parse(trimmed) as unknown[]) : trimmed.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
  return raw.filter((e): e is PsEntry => typeof (e as PsEntry)?.Service === 'string' && typeof (e as PsEntry)?.State === 'string');
}

/** Pairs of `redis-cli HGETALL` raw output (one value per line). */
function pairs(text: string): Record<string, string> {
  const lines = text.split('\n').filter((l) => l !== '');
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) out[lines[i]] = lines[i + 1];
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The {@link ChaosTarget} of the `docker compose` platform of docker-compose.yml: `docker compose
 * kill -s SIGKILL <svc>` (KILL), `stop` (TERM), `pause`/`unpause` (STOP), `start` (revive),
 * `ps --format json` (status) and `exec -T <sentinel|redis> redis-cli ...` for Redis and fault rules.
 */
export function composeChaosTarget(options: ComposeChaosTargetOptions): ChaosTarget {
  const env = options.env ?? process.env;
  const docker = options.docker ?? 'docker';
  const timeoutMs = options.timeoutMs ?? 60_000;
  const failoverTimeoutMs = options.failoverTimeoutMs ?? 30_000;
  const pollMs = options.pollMs ?? 500;
  const frontDoorPort = env['FRONT_DOOR_PORT'] && /^\d+$/.test(env['FRONT_DOOR_PORT']) ? env['FRONT_DOOR_PORT'] : '8080';
  const url = `http://localhost:${frontDoorPort}`;

  const compose = (args: readonly string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(docker, ['compose', ...args], { cwd: options.cwd, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return reject(new DockerUnavailableError(`\`${docker}\` is not installed or not on PATH: --compose needs Docker with the compose plugin (or run the local platform: npm start)`));
        const detail = (stderr || stdout || error.message).trim().split('\n').slice(-3).join(' ');
        reject(new ChaosError('UNAVAILABLE', `docker compose ${args.join(' ')} failed (${typeof code === 'number' ? `exit ${code}` : (error.signal ?? code ?? 'error')}): ${detail}; is the compose platform up (docker compose up --build)?`));
      });
    });

  const ps = async (): Promise<PsEntry[]> => parseComposePs(await compose(['ps', '--all', '--format', 'json']));
  const redisCli = (service: string, args: readonly string[], port?: number): Promise<string> => compose(['exec', '-T', service, 'redis-cli', ...(port ? ['-p', String(port)] : []), ...args]);

  const runningSentinel = async (entries?: PsEntry[]): Promise<string> => {
    const list = entries ?? (await ps());
    const found = SENTINEL_SERVICES.find((s) => list.some((e) => e.Service === s && e.State === 'running'));
    if (!found) throw new ChaosError('UNAVAILABLE', 'no sentinel container is running: revive one (failsoft sentinel revive 1 --compose) or docker compose up');
    return found;
  };

  /** The master's compose service (`redis-1`) as the sentinels name it. */
  const masterService = async (entries?: PsEntry[]): Promise<string> => {
    const reply = (await redisCli(await runningSentinel(entries), ['SENTINEL', 'get-master-addr-by-name', COMPOSE_MASTER_NAME], SENTINEL_PORT)).trim().split('\n');
    const host = reply[0]?.trim() ?? '';
    const service = REDIS_SERVICES.find((s) => s === host);
    if (!service) throw new ChaosError('UNAVAILABLE', `the sentinels name the master ${JSON.stringify(host)}, which is not a compose service (${REDIS_SERVICES.join(', ')}); are announce-hostnames on?`);
    return service;
  };

  const serviceOf = (id: string): string => (APP_SERVICE.test(id) ? id.replace(/-\d+$/, '') : id === FRONT_DOOR_SERVICE ? 'haproxy' : id);

  const entryOf = async (id: string): Promise<PsEntry> => {
    const entries = await ps();
    const chaosIds = entries.map((e) => e.Service).filter((s) => APP_SERVICE.test(s) || s === FRONT_DOOR_SERVICE);
    const found = entries.find((e) => e.Service === id && chaosIds.includes(id));
    if (!found) throw new ChaosError('NOT_FOUND', `no instance ${JSON.stringify(id)} in the compose platform; it runs ${chaosIds.join(', ') || 'nothing (docker compose up --build)'}`);
    return found;
  };

  const state = (e: PsEntry): string => (e.State === 'running' ? 'running' : e.State === 'paused' ? 'paused' : e.State === 'exited' || e.State === 'dead' ? 'held' : e.State);

  const waitForNewMaster = async (old: string): Promise<string> => {
    const deadline = Date.now() + failoverTimeoutMs;
    let last = old;
    while (Date.now() < deadline) {
      try {
        last = await masterService();
        if (last !== old) return last;
      } catch {
        // mid-failover
      }
      await sleep(pollMs);
    }
    throw new ChaosError('UNAVAILABLE', `the sentinels still name ${last} the master ${failoverTimeoutMs / 1000} s later; see: docker compose logs sentinel-1`);
  };

  const target: ChaosTarget = {
    kind: 'compose',
    url,

    async status(): Promise<ChaosStatus> {
      const entries = await ps();
      const instances: ChaosInstance[] = entries
        .filter((e) => APP_SERVICE.test(e.Service) || e.Service === FRONT_DOOR_SERVICE)
        .map((e) => ({
          id: e.Service,
          service: serviceOf(e.Service),
          state: state(e),
          pid: null,
          zone: null,
          url: null,
          restarts: 0,
          ready: e.State !== 'running' ? false : e.Health ? e.Health === 'healthy' : null,
        }));
      const master = await masterService(entries).catch(() => null);
      const nodes: ChaosRedisNode[] = [
        ...entries
          .filter((e) => REDIS_SERVICES.includes(e.Service))
          .map((e): ChaosRedisNode => ({ host: e.Service, port: 6379, pid: null, role: e.Service === master ? 'master' : 'replica', state: e.State === 'running' ? 'running' : e.State === 'paused' ? 'paused' : 'down' })),
        ...entries
          .filter((e) => SENTINEL_SERVICES.includes(e.Service))
          .map((e): ChaosRedisNode => ({ host: e.Service, port: SENTINEL_PORT, pid: null, role: 'sentinel', state: e.State === 'running' ? 'running' : e.State === 'paused' ? 'paused' : 'down' })),
      ];
      const leader = master ? await redisCli(master, ['GET', TRENDING_LEASE_KEY]).then((t) => leaseHolder(t.trim()), () => null) : null;
      const breakers: Record<string, Record<string, string>> = {};
      for (const g of entries.filter((e) => /^gateway-\d+$/.test(e.Service) && e.State === 'running')) {
        const script = "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/snapshot').then(r=>r.text()).then(t=>process.stdout.write(t),()=>process.exit(1))";
        try {
          breakers[g.Service] = breakersOf(JSON.parse(await compose(['exec', '-T', g.Service, 'node', '-e', script])));
        } catch {
          // a gateway that does not answer shows no breakers
        }
      }
      const faults = master ? await target.listFaults().catch(() => [] as FaultRule[]) : [];
      return { kind: 'compose', url, instances, redis: { master: master ? `${master}:6379` : null, nodes }, trendingLeader: leader, breakers, faults };
    },

    async instancesOf(service: string): Promise<string[]> {
      const entries = await ps();
      const ids = entries.map((e) => e.Service).filter((s) => (APP_SERVICE.test(s) || s === FRONT_DOOR_SERVICE) && serviceOf(s) === service);
      if (ids.length === 0) throw new ChaosError('NOT_FOUND', `no service ${JSON.stringify(service)} in the compose platform; services are upload, likes, feed, gateway, haproxy`);
      return ids;
    },

    async kill(id: string, signal: ChaosSignal): Promise<void> {
      const entry = await entryOf(id);
      if (signal === 'KILL') await compose(['kill', '-s', 'SIGKILL', id]);
      else if (signal === 'TERM') await compose(['stop', id]);
      else if (signal === 'STOP') {
        if (entry.State !== 'running') throw new ChaosError('CONFLICT', `${id} is ${entry.State}: there is no running container to pause (revive it first)`);
        await compose(['pause', id]);
      } else throw new ChaosError('BAD_REQUEST', `signal must be KILL, TERM or STOP; got ${JSON.stringify(signal)}`);
    },

    async revive(id: string): Promise<void> {
      const entry = await entryOf(id);
      if (entry.State === 'paused') await compose(['unpause', id]);
      else if (entry.State !== 'running') await compose(['start', id]);
    },

    async redisFailover(): Promise<string> {
      const entries = await ps();
      const old = await masterService(entries);
      await redisCli(await runningSentinel(entries), ['SENTINEL', 'FAILOVER', COMPOSE_MASTER_NAME], SENTINEL_PORT);
      return `${await waitForNewMaster(old)}:6379`;
    },

    async redisKillMaster(): Promise<string> {
      const master = await masterService();
      await compose(['kill', '-s', 'SIGKILL', master]);
      // like the local platform: once the sentinels failed over, the old master comes back as a replica
      await waitForNewMaster(master);
      await compose(['start', master]);
      return `${master}:6379`;
    },

    async redisPauseMaster(): Promise<string> {
      const master = await masterService();
      await compose(['pause', master]);
      return `${master}:6379`;
    },

    async redisResume(): Promise<void> {
      const paused = (await ps()).filter((e) => REDIS_SERVICES.includes(e.Service) && e.State === 'paused').map((e) => e.Service);
      if (paused.length) await compose(['unpause', ...paused]);
    },

    async killSentinel(index: number): Promise<void> {
      const service = SENTINEL_SERVICES[index];
      if (!Number.isInteger(index) || !service) throw new ChaosError('NOT_FOUND', `no sentinel ${index}; there are ${SENTINEL_SERVICES.length} (0-based)`);
      await compose(['kill', '-s', 'SIGKILL', service]);
    },

    async reviveSentinel(index: number): Promise<void> {
      const service = SENTINEL_SERVICES[index];
      if (!Number.isInteger(index) || !service) throw new ChaosError('NOT_FOUND', `no sentinel ${index}; there are ${SENTINEL_SERVICES.length} (0-based)`);
      await compose(['start', service]);
    },

    async addFault(input: FaultRuleInput): Promise<FaultRule> {
      let rule: FaultRule;
      try {
        rule = validateFaultRule(input);
      } catch (error) {
        if (error instanceof InvalidOptionsError) throw new ChaosError('BAD_REQUEST', error.message);
        throw error;
      }
      const master = await masterService();
      // the format of RedisFaultRuleStore.set: the rule as JSON in the hash, {op,id} on the channel
      await redisCli(master, ['HSET', `${FAULT_PREFIX}:rules`, rule.id, JSON.stringify(rule)]);
      await redisCli(master, ['PUBLISH', `${FAULT_PREFIX}:changed`, JSON.stringify({ op: 'set', id: rule.id })]);
      return rule;
    },

    async removeFault(id: string): Promise<void> {
      const master = await masterService();
      const removed = (await redisCli(master, ['HDEL', `${FAULT_PREFIX}:rules`, id])).trim();
      await redisCli(master, ['PUBLISH', `${FAULT_PREFIX}:changed`, JSON.stringify({ op: 'remove', id })]);
      if (removed === '0') throw new ChaosError('NOT_FOUND', `no fault rule ${JSON.stringify(id)} (see: failsoft fault --list --compose)`);
    },

    async listFaults(): Promise<FaultRule[]> {
      const master = await masterService();
      return rulesInForce(pairs(await redisCli(master, ['HGETALL', `${FAULT_PREFIX}:rules`])));
    },

    async waitForHealthy(waitMs: number): Promise<void> {
      const deadline = Date.now() + waitMs;
      let problem = 'not checked yet';
      while (Date.now() < deadline) {
        try {
          const entries = await ps();
          const bad = entries.filter((e) => e.State !== 'running' || (e.Health !== undefined && e.Health !== '' && e.Health !== 'healthy'));
          if (bad.length === 0) {
            await masterService(entries);
            return;
          }
          problem = `not healthy: ${bad.map((e) => `${e.Service} (${e.State}${e.Health ? `, ${e.Health}` : ''})`).join(', ')}`;
        } catch (error) {
          problem = (error as Error).message;
        }
        await sleep(pollMs);
      }
      throw new ChaosError('UNAVAILABLE', `the compose platform is not healthy after ${waitMs / 1000} s: ${problem}`);
    },
  };
  return target;
}

/** Where the compose fault rules live (RedisFaultRuleStore's default prefix: libs/sidecar/src/lib/faults/redis-fault-rule.store.ts). */
export const COMPOSE_FAULT_KEYS = { rules: `${FAULT_PREFIX}:rules`, channel: `${FAULT_PREFIX}:changed` } as const;
