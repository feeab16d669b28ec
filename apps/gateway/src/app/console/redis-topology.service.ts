import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { leaseKeys } from '@failsoft/state';
import { STATE_REDIS } from '@failsoft/state/nest';
import { Redis } from 'ioredis';
import { CONSOLE_OPTIONS, TRENDING_LEASE, type ConsoleOptions } from './console.constants';

/** One Redis data node as a sentinel reports it. */
export interface RedisNodeView {
  /** `host:port`. */
  readonly address: string;
  readonly role: 'master' | 'replica';
  /** `up`, or `down` while the sentinels see it down (`s_down`/`o_down`/disconnected). */
  readonly state: 'up' | 'down';
  /** Sentinel flags, e.g. `slave` or `s_down,master`. */
  readonly flags: string;
}

/** One sentinel. */
export interface SentinelView {
  readonly address: string;
  /** `up` (answered us or is seen by the one that did), `down` (seen down), `unknown`. */
  readonly state: 'up' | 'down' | 'unknown';
}

/** Redis as the sentinels see it. */
export interface RedisTopologyView {
  readonly masterName: string;
  /** `host:port` of the master, null when no sentinel answered. */
  readonly master: string | null;
  readonly nodes: readonly RedisNodeView[];
  readonly sentinels: readonly SentinelView[];
  /** The sentinel that answered. */
  readonly answeredBy: string | null;
  /** Why the view is empty or partial. */
  readonly error?: string;
}

/** The holder of the trending lease. */
export interface TrendingLeaderView {
  /** Instance id of the leader (`feed-1`), null when nobody holds the lease. */
  readonly leader: string | null;
  /** Fencing token of the leader's term. */
  readonly token: number | null;
  /** Why the leader is unknown (Redis unreachable). */
  readonly error?: string;
}

const QUERY_TIMEOUT_MS = 1000;

/**
 * Reads the Redis topology from the sentinels (`SENTINEL MASTER/REPLICAS/SENTINELS`) over one
 * small connection to the first sentinel that answers (moving on to the next when it fails), and
 * the trending leader from its lease key through the gateway's state client. Never rejects: a
 * failure becomes `error` in the view. Every connection has an `error` listener and is closed on
 * shutdown.
 */
@Injectable()
export class RedisTopologyService implements OnModuleDestroy {
  private connection?: Redis;
  private connectionIndex = 0;
  private closed = false;

  /** @param options sentinels and master name; @param redis the gateway's failover-safe state client. */
  constructor(
    @Inject(CONSOLE_OPTIONS) private readonly options: ConsoleOptions,
    @Inject(STATE_REDIS) private readonly redis: Redis,
  ) {}

  /** Redis master, replicas and sentinels (never rejects). */
  async topology(): Promise<RedisTopologyView> {
    const { masterName, sentinels } = this.options;
    const errors: string[] = [];
    for (let attempt = 0; attempt < sentinels.length && !this.closed; attempt++) {
      const index = (this.connectionIndex + attempt) % sentinels.length;
      const address = `${sentinels[index].host}:${sentinels[index].port}`;
      try {
        const connection = this.connectionTo(index);
        const [master, replicas, others] = await withTimeout(
          Promise.all([
            connection.call('SENTINEL', 'MASTER', masterName) as Promise<unknown>,
            connection.call('SENTINEL', 'REPLICAS', masterName) as Promise<unknown>,
            connection.call('SENTINEL', 'SENTINELS', masterName) as Promise<unknown>,
          ]),
          QUERY_TIMEOUT_MS,
          `sentinel ${address} did not answer within ${QUERY_TIMEOUT_MS} ms`,
        );
        return this.view(address, pairs(master), (replicas as unknown[]).map(pairs), (others as unknown[]).map(pairs));
      } catch (error) {
        errors.push(`${address}: ${(error as Error).message}`);
        this.dropConnection();
        this.connectionIndex = (index + 1) % sentinels.length;
      }
    }
    return {
      masterName,
      master: null,
      nodes: [],
      sentinels: sentinels.map((s) => ({ address: `${s.host}:${s.port}`, state: 'unknown' })),
      answeredBy: null,
      error: `no sentinel answered (${errors.join('; ') || 'shutting down'})`,
    };
  }

  /** The feed instance holding the trending lease (never rejects). */
  async trendingLeader(): Promise<TrendingLeaderView> {
    try {
      const value = await withTimeout(this.redis.get(leaseKeys('failsoft:lease:', TRENDING_LEASE).lease), QUERY_TIMEOUT_MS, `Redis did not answer within ${QUERY_TIMEOUT_MS} ms`);
      if (value === null) return { leader: null, token: null };
      const match = /^(\d+):(.+)$/.exec(value);
      return match === null ? { leader: null, token: null, error: 'the lease record is not "<token>:<holder>"' } : { leader: match[2], token: Number(match[1]) };
    } catch (error) {
      return { leader: null, token: null, error: (error as Error).message };
    }
  }

  /** Closes the sentinel connection. */
  onModuleDestroy(): void {
    this.closed = true;
    this.dropConnection();
  }

  private view(answeredBy: string, master: Record<string, string>, replicas: Array<Record<string, string>>, others: Array<Record<string, string>>): RedisTopologyView {
    const address = (node: Record<string, string>) => `${node['ip']}:${node['port']}`;
    const down = (flags: string) => /s_down|o_down|disconnected/.test(flags);
    const nodes: RedisNodeView[] = [
      { address: address(master), role: 'master', state: down(master['flags'] ?? '') ? 'down' : 'up', flags: master['flags'] ?? '' },
      ...replicas.map((r) => ({ address: address(r), role: 'replica' as const, state: down(r['flags'] ?? '') || r['master-link-status'] === 'err' ? ('down' as const) : ('up' as const), flags: r['flags'] ?? '' })),
    ];
    const seen = new Map(others.map((s) => [address(s), down(s['flags'] ?? '') ? ('down' as const) : ('up' as const)]));
    seen.set(answeredBy, 'up');
    const configured = this.options.sentinels.map((s) => `${s.host}:${s.port}`);
    const sentinels: SentinelView[] = [...new Set([...configured, ...seen.keys()])].map((a) => ({ address: a, state: seen.get(a) ?? 'unknown' }));
    return { masterName: this.options.masterName, master: address(master), nodes, sentinels, answeredBy };
  }

  private connectionTo(index: number): Redis {
    if (this.connection !== undefined && this.connectionIndex === index) return this.connection;
    this.dropConnection();
    const { host, port } = this.options.sentinels[index];
    const connection = new Redis({
      host,
      port,
      password: this.options.sentinelPassword,
      connectTimeout: QUERY_TIMEOUT_MS,
      commandTimeout: QUERY_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: true,
      retryStrategy: () => null, // no reconnect loop: the next query opens a new connection
      lazyConnect: false,
    });
    // errors surface through the commands; the listener keeps them from crashing the process
    connection.on('error', () => undefined);
    connection.on('end', () => {
      if (this.connection === connection) this.connection = undefined;
    });
    this.connection = connection;
    this.connectionIndex = index;
    return connection;
  }

  private dropConnection(): void {
    const connection = this.connection;
    this.connection = undefined;
    connection?.disconnect();
  }
}

/** `[k1, v1, k2, v2...]` (a sentinel reply) as an object. */
function pairs(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
