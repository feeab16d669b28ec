import * as dns from 'node:dns/promises';
import type { ServiceInstance } from '../core/instance';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, assertObject, show } from '../core/validate';
import { withTimeout } from './discovery.error';
import { RefreshingResolver } from './refreshing.resolver';
import { assertServiceName, formatAddress } from './service-instance';

/** One address returned by a host lookup. */
export interface LookupAddress {
  /** IPv4 or IPv6 address. */
  readonly address: string;
  /** 4 or 6. */
  readonly family: number;
}

/** One SRV record. */
export interface SrvTarget {
  /** Target host name. */
  readonly name: string;
  /** Target port. */
  readonly port: number;
  /** Lower is preferred; only the lowest priority present is used. */
  readonly priority: number;
  /** Relative weight (0 counts as 1). */
  readonly weight: number;
}

/** Options of a DnsResolver. */
export interface DnsResolverOptions {
  /** The service name. */
  readonly service: string;
  /** Host name to look up (A/AAAA via the system resolver, so `/etc/hosts` counts), or the SRV name when `srv` is true. */
  readonly hostname: string;
  /** Port of every address (required unless `srv`, where records carry ports). */
  readonly port?: number;
  /** Use SRV records (`_grpc._tcp.likes.default.svc.cluster.local`) for targets and ports. Default false. */
  readonly srv?: boolean;
  /** Address family: 0 (both, default), 4 or 6. */
  readonly family?: 0 | 4 | 6;
  /** Reload period in ms (default 5000). */
  readonly refreshMs?: number;
  /** Bound of one lookup round (and of `start()`) in ms (default 2000). */
  readonly timeoutMs?: number;
  /** Zone given to every instance (default `''`). */
  readonly zone?: string;
  /** Host lookup; default `dns.lookup(hostname, { all: true, family })`. Injectable for tests. */
  readonly lookup?: (hostname: string, family: 0 | 4 | 6) => Promise<readonly LookupAddress[]>;
  /** SRV lookup; default `dns.resolveSrv`. Injectable for tests. */
  readonly resolveSrv?: (hostname: string) => Promise<readonly SrvTarget[]>;
}

const HOSTNAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9])?\.?$/;

/**
 * Resolves a service through DNS (`likes.default.svc.cluster.local`, a compose service name,
 * `localhost`): one instance per address (id `service@host:port`), refreshed every `refreshMs`;
 * on lookup failure the last view is kept and `stale` is true.
 */
export class DnsResolver extends RefreshingResolver {
  /** The name looked up. */
  readonly hostname: string;
  private readonly port: number;
  private readonly srv: boolean;
  private readonly family: 0 | 4 | 6;
  private readonly zone: string;
  private readonly lookupFn: (hostname: string, family: 0 | 4 | 6) => Promise<readonly LookupAddress[]>;
  private readonly resolveSrvFn: (hostname: string) => Promise<readonly SrvTarget[]>;

  /** @throws InvalidOptionsError naming the bad option and value. */
  constructor(options: DnsResolverOptions) {
    assertObject('dns resolver options', options);
    const service = assertServiceName('dns.service', options.service);
    const refreshMs = assertNumber('dns.refreshMs', options.refreshMs ?? 5_000, 50, 86_400_000, true);
    const timeoutMs = assertNumber('dns.timeoutMs', options.timeoutMs ?? 2_000, 1, 600_000, true);
    super(service, refreshMs, timeoutMs, 'dns');
    if (typeof options.hostname !== 'string' || !HOSTNAME.test(options.hostname) || options.hostname.length > 253) {
      throw new InvalidOptionsError(`dns.hostname must be a host name such as "likes" or "localhost" (no port, no scheme); got ${show(options.hostname)}`);
    }
    this.hostname = options.hostname;
    this.srv = options.srv ?? false;
    if (typeof this.srv !== 'boolean') throw new InvalidOptionsError(`dns.srv must be a boolean; got ${show(options.srv)}`);
    this.port = this.srv && options.port === undefined ? 0 : assertNumber('dns.port', options.port, 1, 65535, true);
    if (options.family !== undefined && options.family !== 0 && options.family !== 4 && options.family !== 6) {
      throw new InvalidOptionsError(`dns.family must be 0, 4 or 6; got ${show(options.family)}`);
    }
    this.family = options.family ?? 0;
    const zone = options.zone ?? '';
    if (typeof zone !== 'string') throw new InvalidOptionsError(`dns.zone must be a string; got ${show(zone)}`);
    this.zone = zone;
    for (const key of ['lookup', 'resolveSrv'] as const) {
      if (options[key] !== undefined && typeof options[key] !== 'function') {
        throw new InvalidOptionsError(`dns.${key} must be a function; got ${show(options[key])}`);
      }
    }
    this.lookupFn = options.lookup ?? ((hostname, family) => dns.lookup(hostname, { all: true, family }));
    this.resolveSrvFn = options.resolveSrv ?? ((hostname) => dns.resolveSrv(hostname));
  }

  /** Looks the name up once and returns the instances found. */
  protected async load(): Promise<readonly ServiceInstance[]> {
    const targets: Array<{ host: string; port: number; weight: number }> = [];
    if (this.srv) {
      const records = await withTimeout(this.resolveSrvFn(this.hostname), this.timeoutMs, `SRV lookup of ${this.hostname}`);
      if (records.length === 0) throw new Error(`no SRV records for ${this.hostname}`);
      const best = Math.min(...records.map((r) => r.priority));
      const chosen = records.filter((r) => r.priority === best);
      const resolved = await Promise.all(
        chosen.map((r) => withTimeout(this.lookupFn(r.name, this.family), this.timeoutMs, `lookup of ${r.name}`)),
      );
      chosen.forEach((r, i) => {
        for (const a of resolved[i]) targets.push({ host: a.address, port: r.port, weight: r.weight > 0 ? r.weight : 1 });
      });
    } else {
      const addresses = await withTimeout(this.lookupFn(this.hostname, this.family), this.timeoutMs, `lookup of ${this.hostname}`);
      for (const a of addresses) targets.push({ host: a.address, port: this.port, weight: 1 });
    }
    if (targets.length === 0) throw new Error(`${this.hostname} resolved to no addresses`);
    const byId = new Map<string, ServiceInstance>();
    for (const t of targets) {
      const address = formatAddress(t.host, t.port);
      const id = `${this.service}@${address}`;
      if (!byId.has(id)) {
        byId.set(id, Object.freeze({ id, service: this.service, address, zone: this.zone, weight: t.weight, metadata: Object.freeze({ hostname: this.hostname }) }));
      }
    }
    return [...byId.values()];
  }
}
