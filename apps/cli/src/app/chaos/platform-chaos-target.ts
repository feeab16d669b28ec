import { readFileSync } from 'node:fs';
import type { FaultRule, FaultRuleInput } from '@failsoft/sidecar';
import { isProcessAlive, parseInfo, redisCommand, type Address } from '@failsoft/testing';
import type { Platform, PlatformProcess } from '../platform';
import { probe } from '../readiness';
import { SERVICE_NAMES } from '../topology';
import { ChaosError } from './chaos.error';
import type { ChaosInstance, ChaosRedisNode, ChaosSignal, ChaosStatus, ChaosTarget } from './chaos-target';
import { readFaultRules, removeFaultRule, withRedis, writeFaultRule } from './fault-rules';

/** The lease of the feed's trending singleton job (see apps/feed/src/app/feed.keys.ts); holder = feed instance id. */
export const TRENDING_LEASE_KEY = 'failsoft:lease:{feed-trending}';

/** Services (and the front door) whose instances chaos may signal. */
const CHAOS_SERVICES: readonly string[] = [...SERVICE_NAMES, 'haproxy'];

/**
 * True when `pid` is stopped (SIGSTOP), read from /proc/<pid>/stat (false when unknown, e.g. not
 * on Linux or the process is gone).
 */
export function isPaused(pid: number | null | undefined): boolean {
  if (pid === null || pid === undefined) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'T' || state === 't';
  } catch {
    return false;
  }
}

/** `host:port` */
function hostPort(a: Address): string {
  return `${a.host}:${a.port}`;
}

/** The holder (`feed-1`) of a lease record `"<token>:<holderId>"`, null when none. */
export function leaseHolder(record: unknown): string | null {
  if (typeof record !== 'string' || record === '') return null;
  const colon = record.indexOf(':');
  return colon === -1 ? record : record.slice(colon + 1);
}

/**
 * Breaker states a gateway's `/snapshot` shows: the service breaker under `likes`, each instance's
 * under `likes@127.0.0.1:5001`. Empty when the snapshot has no downstreams.
 */
export function breakersOf(snapshot: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const downstreams = (snapshot as { downstreams?: unknown } | null)?.downstreams;
  if (!Array.isArray(downstreams)) return out;
  for (const d of downstreams as Array<{ service?: unknown; breaker?: unknown; instances?: unknown }>) {
    if (typeof d?.service !== 'string') continue;
    if (typeof d.breaker === 'string') out[d.service] = d.breaker;
    if (!Array.isArray(d.instances)) continue;
    for (const i of d.instances as Array<{ address?: unknown; id?: unknown; breaker?: unknown }>) {
      if (typeof i?.breaker === 'string') out[`${d.service}@${String(i.address ?? i.id)}`] = i.breaker;
    }
  }
  return out;
}

/** Fetches JSON with a bound (undefined on any failure). */
async function fetchJson(url: string, timeoutMs: number): Promise<unknown> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return undefined;
    return await res.json();
  } catch {
    return undefined;
  }
}

/**
 * The {@link ChaosTarget} of a platform running in this process ({@link Platform}: tests, the
 * runner of `failsoft up` behind its control channel, `failsoft scenario`). KILL and TERM stop the
 * instance and hold it down (no supervisor restart) until {@link ChaosTarget.revive}; STOP pauses it
 * (SIGSTOP) until revive sends SIGCONT.
 */
export function platformChaosTarget(platform: Platform): ChaosTarget {
  /** The process `id` names, when chaos may signal it. @throws ChaosError NOT_FOUND naming the known ids. */
  const processOf = (id: string): PlatformProcess => {
    const all = platform.processes().filter((p) => CHAOS_SERVICES.includes(p.service));
    const found = all.find((p) => p.id === id);
    if (!found) throw new ChaosError('NOT_FOUND', `no instance ${JSON.stringify(id)}; the platform runs ${all.map((p) => p.id).join(', ')}`);
    return found;
  };

  const master = async (): Promise<Address> => {
    try {
      return await platform.redis.currentMaster();
    } catch (error) {
      throw new ChaosError('UNAVAILABLE', `the sentinels do not agree on a Redis master right now (${(error as Error).message}); try again in a few seconds`);
    }
  };

  const sentinelIndex = (index: number): void => {
    const count = platform.redis.sentinels().length;
    if (!Number.isInteger(index) || index < 0 || index >= count) throw new ChaosError('NOT_FOUND', `no sentinel ${index}; there are ${count} (0-based: 0 to ${count - 1})`);
  };

  const instances = async (): Promise<ChaosInstance[]> =>
    Promise.all(
      platform
        .processes()
        .filter((p) => CHAOS_SERVICES.includes(p.service))
        .map(async (p): Promise<ChaosInstance> => {
          const paused = p.state === 'running' && isPaused(p.pid);
          const state = paused ? 'paused' : p.state === 'stopped' ? 'held' : p.state;
          let ready: boolean | null = null;
          if (p.url && state === 'running') ready = (await probe(`${p.url}/readyz`, 1000)).status === 200;
          else if (p.url) ready = false;
          return { id: p.id, service: p.service, state, pid: p.pid ?? null, zone: p.zone ?? null, url: p.url ?? null, restarts: p.restarts, ready };
        }),
    );

  const redisNodes = async (masterAddress: Address | null): Promise<ChaosRedisNode[]> => {
    const data = await Promise.all(
      platform.redis.servers().map(async (s): Promise<ChaosRedisNode> => {
        const isMaster = masterAddress?.port === s.port;
        if (!s.running || s.pid === undefined || !isProcessAlive(s.pid)) return { host: s.host, port: s.port, pid: null, role: isMaster ? 'master' : 'replica', state: 'down' };
        if (isPaused(s.pid)) return { host: s.host, port: s.port, pid: s.pid, role: isMaster ? 'master' : 'replica', state: 'paused' };
        try {
          const info = parseInfo(String(await redisCommand(s.port, ['INFO', 'replication'], { host: s.host, timeoutMs: 800 })));
          return { host: s.host, port: s.port, pid: s.pid, role: info['role'] === 'master' ? 'master' : 'replica', state: 'running' };
        } catch {
          return { host: s.host, port: s.port, pid: s.pid, role: isMaster ? 'master' : 'replica', state: 'down' };
        }
      }),
    );
    const sentinels = platform.redis.sentinels().map(
      (s): ChaosRedisNode => ({ host: s.host, port: s.port, pid: s.running ? (s.pid ?? null) : null, role: 'sentinel', state: !s.running ? 'down' : isPaused(s.pid) ? 'paused' : 'running' }),
    );
    return [...data, ...sentinels];
  };

  const trendingLeader = async (masterAddress: Address | null): Promise<string | null> => {
    if (!masterAddress) return null;
    try {
      return leaseHolder(await redisCommand(masterAddress.port, ['GET', TRENDING_LEASE_KEY], { host: masterAddress.host, timeoutMs: 800 }));
    } catch {
      return null;
    }
  };

  const breakers = async (): Promise<Record<string, Record<string, string>>> => {
    const gateways = platform.processes().filter((p) => p.service === 'gateway' && p.state === 'running' && p.url && !isPaused(p.pid));
    const entries = await Promise.all(gateways.map(async (g) => [g.id, breakersOf(await fetchJson(`${g.url}/snapshot`, 1500))] as const));
    return Object.fromEntries(entries);
  };

  const target: ChaosTarget = {
    kind: 'local',
    get url() {
      return platform.url;
    },

    async status(): Promise<ChaosStatus> {
      const masterAddress = await platform.redis.currentMaster().catch(() => null);
      const [inst, nodes, leader, brk, faults] = await Promise.all([
        instances(),
        redisNodes(masterAddress),
        trendingLeader(masterAddress),
        breakers(),
        target.listFaults().catch(() => [] as FaultRule[]),
      ]);
      return { kind: 'local', url: platform.url, instances: inst, redis: { master: masterAddress ? hostPort(masterAddress) : null, nodes }, trendingLeader: leader, breakers: brk, faults };
    },

    async instancesOf(service: string): Promise<string[]> {
      if (!CHAOS_SERVICES.includes(service)) throw new ChaosError('NOT_FOUND', `no service ${JSON.stringify(service)}; the services are ${CHAOS_SERVICES.join(', ')}`);
      if (service === 'haproxy') return platform.processes().some((p) => p.id === 'haproxy') ? ['haproxy'] : [];
      return platform.instancesOf(service as (typeof SERVICE_NAMES)[number]);
    },

    async kill(id: string, signal: ChaosSignal): Promise<void> {
      const p = processOf(id);
      if (signal === 'STOP') {
        if (p.state !== 'running' || p.pid === undefined) throw new ChaosError('CONFLICT', `${id} is ${p.state === 'stopped' ? 'held down' : p.state}: there is no live process to pause (revive it first: failsoft revive ${id})`);
        platform.killInstance(id, 'SIGSTOP');
        return;
      }
      if (signal !== 'KILL' && signal !== 'TERM') throw new ChaosError('BAD_REQUEST', `signal must be KILL, TERM or STOP; got ${JSON.stringify(signal)}`);
      // held down: the supervisor does not restart it until revive
      await platform.stopInstance(id, { signal: signal === 'KILL' ? 'SIGKILL' : 'SIGTERM' });
    },

    async revive(id: string): Promise<void> {
      const p = processOf(id);
      if (p.state === 'running') {
        if (p.pid !== undefined) platform.killInstance(id, 'SIGCONT'); // resumes a paused one; a no-op otherwise
        return;
      }
      await platform.startInstance(id);
    },

    async redisFailover(): Promise<string> {
      const old = await master();
      const sentinel = platform.redis.sentinels().find((s) => s.running);
      if (!sentinel) throw new ChaosError('UNAVAILABLE', 'no sentinel is running: revive one first (failsoft sentinel revive <n>)');
      try {
        await redisCommand(sentinel.port, ['SENTINEL', 'FAILOVER', platform.redis.masterName], { host: sentinel.host, timeoutMs: 2000 });
      } catch (error) {
        throw new ChaosError('CONFLICT', `sentinel :${sentinel.port} refused the failover (${(error as Error).message}); is a failover already in progress? Try again in a few seconds`);
      }
      const next = await platform.redis.waitForFailover(old, 30_000);
      return hostPort(next);
    },

    async redisKillMaster(): Promise<string> {
      await master();
      const killed = await platform.redis.killMaster('SIGKILL');
      return hostPort(killed);
    },

    async redisPauseMaster(): Promise<string> {
      const m = await master();
      const node = platform.redis.servers().find((s) => s.port === m.port);
      if (node && isPaused(node.pid)) throw new ChaosError('CONFLICT', `the master ${hostPort(m)} is already paused; resume it with: failsoft redis resume`);
      const paused = await platform.redis.killMaster('SIGSTOP');
      return hostPort(paused);
    },

    async redisResume(): Promise<void> {
      for (const s of platform.redis.servers()) if (s.running && s.pid !== undefined && isPaused(s.pid)) platform.redis.resume(s);
    },

    async killSentinel(index: number): Promise<void> {
      sentinelIndex(index);
      await platform.redis.stopSentinel(index);
    },

    async reviveSentinel(index: number): Promise<void> {
      sentinelIndex(index);
      platform.redis.startSentinel(index);
    },

    async addFault(rule: FaultRuleInput): Promise<FaultRule> {
      return withRedis(await master(), (redis) => writeFaultRule(redis, rule));
    },

    async removeFault(id: string): Promise<void> {
      await withRedis(await master(), (redis) => removeFaultRule(redis, id));
    },

    async listFaults(): Promise<FaultRule[]> {
      return withRedis(await master(), (redis) => readFaultRules(redis));
    },

    async waitForHealthy(timeoutMs: number): Promise<void> {
      await platform.waitForHealthy(timeoutMs);
    },
  };
  return target;
}
