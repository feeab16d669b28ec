import type { RedisConnection } from '../client/redis-connection';
import { RedisCommand } from '../durable/redis-command';
import { InvalidArgumentError, ShutDownError } from '../state.error';
import { FencedWriteOptions, fencedWrite } from './fenced-write';
import { Lease } from './lease';
import { LeaseOptions, ResolvedLeaseOptions, assertLeaseName, resolveLeaseOptions } from './lease.options';

/**
 * Creates and owns the leases of one process (one Redis client, shared defaults) and shuts them
 * all down together (releasing held terms, so a standby takes over at once instead of after ttl).
 */
export class LeaseManager {
  /** Defaults applied to every lease it creates. */
  readonly defaults: ResolvedLeaseOptions;
  private readonly leases = new Map<string, Lease>();
  private closed = false;

  /**
   * @param client ioredis client (master).
   * @param defaults lease options shared by every lease (validated here).
   */
  constructor(
    readonly client: RedisConnection,
    defaults: LeaseOptions = {},
  ) {
    this.defaults = resolveLeaseOptions(defaults, 'leaseDefaults');
  }

  /**
   * Creates lease `name` (not started). One lease per name per manager.
   * @throws InvalidArgumentError when `name` is bad or already used here.
   */
  lease(name: string, options: LeaseOptions = {}): Lease {
    if (this.closed) throw new ShutDownError('LeaseManager');
    assertLeaseName(name);
    if (this.leases.has(name)) throw new InvalidArgumentError(`lease "${name}" already exists in this LeaseManager; reuse it (get("${name}"))`);
    const { durable, ...rest } = this.defaults;
    const lease = new Lease(this.client, name, { ...rest, durable, ...options });
    this.leases.set(name, lease);
    return lease;
  }

  /** The lease created under `name`, if any. */
  get(name: string): Lease | undefined {
    return this.leases.get(name);
  }

  /** Creates lease `name`, wires the listeners and starts campaigning. */
  campaign(
    name: string,
    handlers: { onAcquired?: Parameters<Lease['onAcquired']>[0]; onLost?: Parameters<Lease['onLost']>[0] },
    options: LeaseOptions = {},
  ): Lease {
    const lease = this.lease(name, options);
    if (handlers.onAcquired) lease.onAcquired(handlers.onAcquired);
    if (handlers.onLost) lease.onLost(handlers.onLost);
    return lease.start();
  }

  /** {@link fencedWrite} with this manager's key prefix and durability. */
  fencedWrite<T extends unknown[] = unknown[]>(leaseName: string, token: number, commands: RedisCommand | readonly RedisCommand[], options: FencedWriteOptions = {}): Promise<T> {
    return fencedWrite<T>(this.client, leaseName, token, commands, { keyPrefix: this.defaults.keyPrefix, durable: this.defaults.durable, ...options });
  }

  /** Shuts every lease down (releasing held terms). Idempotent. The client is not closed. */
  async shutdown(): Promise<void> {
    this.closed = true;
    const all = [...this.leases.values()];
    this.leases.clear();
    await Promise.all(all.map((lease) => lease.shutdown()));
  }
}
