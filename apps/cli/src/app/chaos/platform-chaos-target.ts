import type { FaultRule, FaultRuleInput } from '@failsoft/sidecar';
import { isInvalidRuntimeOptionsError, isPaused, isProcessAlive, parseInfo, redisCommand, type Address, type PartitionNetwork } from '@failsoft/local-runtime';
import type { Platform, PlatformProcess } from '../local-platform/platform.types';
import { probe } from '../readiness';
import { SERVICE_NAMES } from '../topology';
import { ChaosError } from './chaos.error';
import { redisNodeIndex, redisNodeName, redisZone, sentinelName } from '../redis-placement';
import type { ChaosInstance, ChaosRedisNode, ChaosSignal, ChaosStatus, ChaosTarget, RedisKillOptions } from './chaos-target';
import { readFaultRules, removeFaultRule, withRedis, writeFaultRule } from './fault-rules';

/** The lease of the feed's trending singleton job (see apps/feed/src/app/feed.keys.ts); holder = feed instance id. */
export const TRENDING_LEASE_KEY = 'failsoft:lease:{feed-trending}';

/** Services (and the front door) whose instances chaos may signal. */
const CHAOS_SERVICES: readonly string[] = [...SERVICE_NAMES, 'haproxy'];

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
export class PlatformChaosTarget implements ChaosTarget {
  readonly kind = 'local' as const;

  /** @param platform the running platform chaos acts on. */
  constructor(private readonly platform: Platform) {}

  get url(): string {
    return this.platform.url;
  }

  async status(): Promise<ChaosStatus> {
    const masterAddress = await this.platform.redis.currentMaster().catch(() => null);
    const [instances, nodes, trendingLeader, breakers, faults] = await Promise.all([
      this.instances(),
      this.redisNodes(masterAddress),
      this.trendingLeader(masterAddress),
      this.breakers(),
      this.listFaults().catch(() => [] as FaultRule[]),
    ]);
    return { kind: 'local', url: this.platform.url, instances, redis: { master: masterAddress ? hostPort(masterAddress) : null, nodes }, trendingLeader, breakers, faults };
  }

  async instancesOf(service: string): Promise<string[]> {
    if (!CHAOS_SERVICES.includes(service)) throw new ChaosError('NOT_FOUND', `no service ${JSON.stringify(service)}; the services are ${CHAOS_SERVICES.join(', ')}`);
    if (service === 'haproxy') return this.platform.frontDoorIds();
    return this.platform.instancesOf(service as (typeof SERVICE_NAMES)[number]);
  }

  async kill(id: string, signal: ChaosSignal): Promise<void> {
    const p = this.processOf(id);
    if (signal === 'STOP') {
      if (p.state !== 'running' || p.pid === undefined) throw new ChaosError('CONFLICT', `${id} is ${p.state === 'stopped' ? 'held down' : p.state}: there is no live process to pause (revive it first: failsoft revive ${id})`);
      this.platform.killInstance(id, 'SIGSTOP');
      return;
    }
    if (signal !== 'KILL' && signal !== 'TERM') throw new ChaosError('BAD_REQUEST', `signal must be KILL, TERM or STOP; got ${JSON.stringify(signal)}`);
    // held down: the supervisor does not restart it until revive
    await this.platform.stopInstance(id, { signal: signal === 'KILL' ? 'SIGKILL' : 'SIGTERM' });
  }

  async revive(id: string): Promise<void> {
    const p = this.processOf(id);
    if (p.state === 'running') {
      if (p.pid !== undefined) this.platform.killInstance(id, 'SIGCONT'); // resumes a paused one; a no-op otherwise
      return;
    }
    await this.platform.startInstance(id);
  }

  async redisFailover(): Promise<string> {
    const { redis } = this.platform;
    const old = await this.master();
    const sentinel = redis.sentinels().find((s) => s.running);
    if (!sentinel) throw new ChaosError('UNAVAILABLE', 'no sentinel is running: revive one first (failsoft sentinel revive <n>)');
    try {
      await redisCommand(sentinel.port, ['SENTINEL', 'FAILOVER', redis.masterName], { host: sentinel.host, timeoutMs: 2000, ...redis.auth.sentinel });
    } catch (error) {
      throw new ChaosError('CONFLICT', `sentinel :${sentinel.port} refused the failover (${(error as Error).message}); is a failover already in progress? Try again in a few seconds`);
    }
    return hostPort(await redis.waitForFailover(old, 30_000));
  }

  async redisKillMaster(): Promise<string> {
    await this.master();
    return hostPort(await this.platform.redis.killMaster('SIGKILL'));
  }

  async redisPauseMaster(): Promise<string> {
    const m = await this.master();
    const node = this.platform.redis.servers().find((s) => s.port === m.port);
    if (node && isPaused(node.pid)) throw new ChaosError('CONFLICT', `the master ${hostPort(m)} is already paused; resume it with: failsoft redis resume`);
    return hostPort(await this.platform.redis.killMaster('SIGSTOP'));
  }

  async redisResume(): Promise<void> {
    for (const s of this.platform.redis.servers()) if (s.running && s.pid !== undefined && isPaused(s.pid)) this.platform.redis.resume(s);
  }

  async redisKillNode(node: string, options: RedisKillOptions): Promise<string> {
    const { redis } = this.platform;
    const index = this.nodeIndex(node);
    const server = redis.servers()[index];
    if (options.replicaOnly) {
      const master = await this.master();
      if (master.port === server.port) throw new ChaosError('CONFLICT', `${redisNodeName(index)} (${hostPort(server)}) is the master, not a replica; kill a replica (failsoft status shows the roles) or the master with: failsoft redis kill-master`);
    }
    if (!server.running && !options.hold) throw new ChaosError('CONFLICT', `${redisNodeName(index)} (${hostPort(server)}) is already down; the platform restarts it (or hold it: failsoft redis hold ${redisNodeName(index)})`);
    await redis.killNode(server.port, options.hold);
    return `${redisNodeName(index)} ${hostPort(server)}`;
  }

  async redisReviveNode(node: string): Promise<string> {
    const { redis } = this.platform;
    const index = this.nodeIndex(node);
    const server = redis.servers()[index];
    redis.reviveNode(server.port);
    return `${redisNodeName(index)} ${hostPort(server)}`;
  }

  async partition(groups: string[][]): Promise<string[]> {
    const network = this.partitionNetwork();
    let applied: Promise<void>;
    try {
      applied = network.partition(groups);
    } catch (error) {
      if (isInvalidRuntimeOptionsError(error)) throw new ChaosError('BAD_REQUEST', error.message);
      throw error;
    }
    await applied; // the connections of the named instances are identified and reset
    return network.cutLinks;
  }

  async heal(): Promise<void> {
    this.partitionNetwork().heal();
  }

  private partitionNetwork(): PartitionNetwork {
    const network = this.platform.redis.network;
    if (!network) throw new ChaosError('UNAVAILABLE', 'this platform runs without relays: start it with FAILSOFT_RELAYS=on npm start to cut links (failsoft scenario partitions starts its own with relays)');
    return network;
  }

  async killSentinel(index: number): Promise<void> {
    this.checkSentinel(index);
    await this.platform.redis.stopSentinel(index);
  }

  async reviveSentinel(index: number): Promise<void> {
    this.checkSentinel(index);
    this.platform.redis.startSentinel(index);
  }

  async addFault(rule: FaultRuleInput): Promise<FaultRule> {
    return withRedis(await this.master(), (redis) => writeFaultRule(redis, rule), this.platform.redis.auth.data.password);
  }

  async removeFault(id: string): Promise<void> {
    await withRedis(await this.master(), (redis) => removeFaultRule(redis, id), this.platform.redis.auth.data.password);
  }

  async listFaults(): Promise<FaultRule[]> {
    return withRedis(await this.master(), (redis) => readFaultRules(redis), this.platform.redis.auth.data.password);
  }

  async waitForHealthy(timeoutMs: number): Promise<void> {
    await this.platform.waitForHealthy(timeoutMs);
  }

  /** The process `id` names, when chaos may signal it. @throws ChaosError NOT_FOUND naming the known ids. */
  private processOf(id: string): PlatformProcess {
    const all = this.platform.processes().filter((p) => CHAOS_SERVICES.includes(p.service));
    const found = all.find((p) => p.id === id);
    if (!found) throw new ChaosError('NOT_FOUND', `no instance ${JSON.stringify(id)}; the platform runs ${all.map((p) => p.id).join(', ')}`);
    return found;
  }

  private async master(): Promise<Address> {
    try {
      return await this.platform.redis.currentMaster();
    } catch (error) {
      throw new ChaosError('UNAVAILABLE', `the sentinels do not agree on a Redis master right now (${(error as Error).message}); try again in a few seconds`);
    }
  }

  private nodeIndex(node: string): number {
    try {
      return redisNodeIndex(node, this.platform.redis.servers().map((s) => s.port));
    } catch (error) {
      throw new ChaosError('NOT_FOUND', (error as Error).message);
    }
  }

  private checkSentinel(index: number): void {
    const count = this.platform.redis.sentinels().length;
    if (!Number.isInteger(index) || index < 0 || index >= count) throw new ChaosError('NOT_FOUND', `no sentinel ${index}; there are ${count} (0-based: 0 to ${count - 1})`);
  }

  private instances(): Promise<ChaosInstance[]> {
    const chaosable = this.platform.processes().filter((p) => CHAOS_SERVICES.includes(p.service));
    return Promise.all(
      chaosable.map(async (p): Promise<ChaosInstance> => {
        const paused = p.state === 'running' && isPaused(p.pid);
        const state = paused ? 'paused' : p.state === 'stopped' ? 'held' : p.state;
        let ready: boolean | null = null;
        if (p.url && state === 'running') ready = (await probe(`${p.url}/readyz`, 1000)).status === 200;
        else if (p.url) ready = false;
        const role = p.service === 'haproxy' ? { role: state === 'running' ? ('active' as const) : ('unknown' as const) } : {};
        return { id: p.id, service: p.service, state, pid: p.pid ?? null, zone: p.zone ?? null, url: p.url ?? null, restarts: p.restarts, ready, ...role };
      }),
    );
  }

  private async redisNodes(masterAddress: Address | null): Promise<ChaosRedisNode[]> {
    const held = this.platform.redis.heldNodePorts();
    const data = await Promise.all(
      this.platform.redis.servers().map(async (s, i) => {
        const node = await dataNode(s, masterAddress?.port === s.port, this.platform.redis.auth.data.password);
        return { ...node, state: node.state === 'down' && held.includes(s.port) ? 'held' : node.state, name: redisNodeName(i), zone: redisZone(i) };
      }),
    );
    const sentinels = this.platform.redis.sentinels().map(
      (s, i): ChaosRedisNode => ({
        host: s.host,
        port: s.port,
        pid: s.running ? (s.pid ?? null) : null,
        role: 'sentinel',
        state: !s.running ? 'down' : isPaused(s.pid) ? 'paused' : 'running',
        name: sentinelName(i),
        zone: redisZone(i),
      }),
    );
    return [...data, ...sentinels];
  }

  private async trendingLeader(masterAddress: Address | null): Promise<string | null> {
    if (!masterAddress) return null;
    try {
      return leaseHolder(await redisCommand(masterAddress.port, ['GET', TRENDING_LEASE_KEY], { host: masterAddress.host, timeoutMs: 800, ...this.platform.redis.auth.data }));
    } catch {
      return null;
    }
  }

  private async breakers(): Promise<Record<string, Record<string, string>>> {
    const gateways = this.platform.processes().filter((p) => p.service === 'gateway' && p.state === 'running' && p.url && !isPaused(p.pid));
    const entries = await Promise.all(gateways.map(async (g) => [g.id, breakersOf(await fetchJson(`${g.url}/snapshot`, 1500))] as const));
    return Object.fromEntries(entries);
  }
}

/** One data node as `failsoft status` shows it (its role from INFO when it answers). */
async function dataNode(s: { host: string; port: number; pid: number | undefined; running: boolean }, isMaster: boolean, password?: string): Promise<ChaosRedisNode> {
  const guessed = isMaster ? 'master' : 'replica';
  if (!s.running || s.pid === undefined || !isProcessAlive(s.pid)) return { host: s.host, port: s.port, pid: null, role: guessed, state: 'down' };
  if (isPaused(s.pid)) return { host: s.host, port: s.port, pid: s.pid, role: guessed, state: 'paused' };
  try {
    const info = parseInfo(String(await redisCommand(s.port, ['INFO', 'replication'], { host: s.host, timeoutMs: 800, password })));
    return { host: s.host, port: s.port, pid: s.pid, role: info['role'] === 'master' ? 'master' : 'replica', state: 'running' };
  } catch {
    return { host: s.host, port: s.port, pid: s.pid, role: guessed, state: 'down' };
  }
}
