import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DurableOptions, ResolvedDurableOptions, resolveDurableOptions } from '../durable/durable.options';
import { InvalidArgumentError } from '../state.error';
import { assertInteger, assertKnownKeys, assertObject, assertString, show } from '../validate';

/** Options of a lease (all optional; `ttlMs` is the one to think about). */
export interface LeaseOptions {
  /** How long a term lasts without renewal (default 10000 ms). A dead leader is replaced after at most this. */
  ttlMs?: number;
  /** Renew every this many ms while held (default ttlMs / 3). */
  renewIntervalMs?: number;
  /** When not held, try again at least this often (default ttlMs / 3; sooner when the lease expires sooner). */
  retryIntervalMs?: number;
  /** Stop considering the lease held this long before its expiry, for clock drift (default 1% of ttl + 5 ms). */
  safetyMarginMs?: number;
  /** Identity of this candidate (default `<hostname>:<pid>:<random>`). */
  holderId?: string;
  /** Key prefix (default `failsoft:lease:`). */
  keyPrefix?: string;
  /**
   * Acquisitions and renewals are confirmed by WAIT (default: the writer defaults), so a failover
   * cannot forget a term and hand out its token twice. `false` turns this off (tests only).
   */
  durable?: DurableOptions | false;
}

/** {@link LeaseOptions} with defaults filled in. */
export interface ResolvedLeaseOptions {
  ttlMs: number;
  renewIntervalMs: number;
  retryIntervalMs: number;
  safetyMarginMs: number;
  holderId: string;
  keyPrefix: string;
  durable: ResolvedDurableOptions | false;
}

/** Default holder identity: host, pid and a random suffix (two leases in one process differ). */
export function defaultHolderId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

const KNOWN = ['ttlMs', 'renewIntervalMs', 'retryIntervalMs', 'safetyMarginMs', 'holderId', 'keyPrefix', 'durable'];

/** Validates lease options over `base` defaults; messages name the bad value. */
export function resolveLeaseOptions(options: unknown, prefix = 'lease', base: Partial<ResolvedLeaseOptions> = {}): ResolvedLeaseOptions {
  const o = assertObject(prefix, options);
  assertKnownKeys(prefix, o, KNOWN);
  const ttlMs = assertInteger(`${prefix}.ttlMs`, o['ttlMs'] ?? base.ttlMs ?? 10_000, 100, 86_400_000);
  const third = Math.max(1, Math.floor(ttlMs / 3));
  const renewIntervalMs = assertInteger(`${prefix}.renewIntervalMs`, o['renewIntervalMs'] ?? base.renewIntervalMs ?? third, 1, ttlMs - 1);
  const retryIntervalMs = assertInteger(`${prefix}.retryIntervalMs`, o['retryIntervalMs'] ?? base.retryIntervalMs ?? third, 1, 86_400_000);
  const safetyMarginMs = assertInteger(`${prefix}.safetyMarginMs`, o['safetyMarginMs'] ?? base.safetyMarginMs ?? Math.ceil(ttlMs * 0.01) + 5, 0, ttlMs - 1);
  const holderId = o['holderId'] === undefined ? (base.holderId ?? defaultHolderId()) : assertString(`${prefix}.holderId`, o['holderId']);
  const keyPrefix = o['keyPrefix'] === undefined ? (base.keyPrefix ?? 'failsoft:lease:') : assertString(`${prefix}.keyPrefix`, o['keyPrefix']);
  let durable: ResolvedDurableOptions | false;
  if (o['durable'] === false) durable = false;
  else if (o['durable'] === undefined) durable = base.durable ?? resolveDurableOptions({});
  else durable = resolveDurableOptions(o['durable'], `${prefix}.durable`);
  return { ttlMs, renewIntervalMs, retryIntervalMs, safetyMarginMs, holderId, keyPrefix, durable };
}

/** Lease names: 1-128 characters of letters, digits and `_ . : / -` (they end up in key names). */
export function assertLeaseName(name: unknown, what = 'lease name'): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.:/-]{1,128}$/.test(name)) {
    throw new InvalidArgumentError(`${what} must be 1-128 characters of letters, digits and _ . : / -; got ${show(name)}`);
  }
  return name;
}

/** The keys of lease `name`: the holder record and the fencing counter (same hash slot). */
export function leaseKeys(keyPrefix: string, name: string): { lease: string; fence: string } {
  return { lease: `${keyPrefix}{${name}}`, fence: `${keyPrefix}{${name}}:fence` };
}
