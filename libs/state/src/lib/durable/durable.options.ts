import { StateOptionsError } from '../state.error';
import { assertInteger, assertKnownKeys, assertObject, show } from '../validate';

/** How many replicas must confirm a write, and how long to wait for them. */
export interface DurableOptions {
  /**
   * Replicas that must confirm (`WAIT`) before a write is acknowledged. `'all'` (the default) means
   * every replica the master has online at the time of the write, and never fewer than
   * `minReplicas`. A number asks for exactly that many; `0` disables the check (NOT durable).
   *
   * Why `'all'`: Sentinel promotes the replica with the greatest replication offset, but it reads
   * offsets from INFO it refreshes only every 1-10 s, so the promoted replica may not be the one
   * that confirmed a `WAIT 1`. When every online replica confirmed, whichever is promoted has the
   * write. See the README ("What acknowledged means").
   */
  replicas?: number | 'all';
  /** With `replicas: 'all'`: the least number of replicas that must confirm (default 1). */
  minReplicas?: number;
  /** `WAIT` timeout in ms (default 1000). Must be lower than the client's command timeout. */
  timeoutMs?: number;
  /**
   * Which replicas `'all'` means (the durability rule under network partitions):
   * - `'sentinel'` (default): after the write, a majority of the sentinels must name THIS master
   *   (no failover under way), and every replica any of them could promote must be online on it
   *   and confirm the write. A master cut from the sentinels, or from a replica they could promote,
   *   acknowledges nothing. Needs a client made by createSentinelClient (plain clients have no
   *   failover: the rule is then `'online'`). Costs one round trip to two sentinels per group
   *   commit, in parallel with the WAIT (one per batch of writes sharing a WAIT, and shared by
   *   concurrent batches); the third is asked when one of them fails or is slow.
   * - `'online'`: the previous rule, every replica online on the master at the time of the write.
   *   Loses acknowledged writes when the master and one replica are cut from the sentinels and the
   *   other replica (see docs/chaos.md, "Partitions").
   */
  replicaSet?: 'sentinel' | 'online';
}

/** {@link DurableOptions} with defaults filled in (frozen: group commit keys its batches by the object). */
export interface ResolvedDurableOptions {
  readonly replicas: number | 'all';
  readonly minReplicas: number;
  readonly timeoutMs: number;
  readonly replicaSet: 'sentinel' | 'online';
}

/** Validates durable options; messages name the bad value, e.g. `durable.replicas must be ...; got -1`. */
export function resolveDurableOptions(options: unknown, prefix = 'durable', base?: ResolvedDurableOptions): ResolvedDurableOptions {
  const o = assertObject(prefix, options);
  assertKnownKeys(prefix, o, ['replicas', 'minReplicas', 'timeoutMs', 'replicaSet']);
  const replicas = o['replicas'] ?? base?.replicas ?? 'all';
  if (replicas !== 'all' && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
    throw new StateOptionsError(`${prefix}.replicas must be an integer >= 0 or "all"; got ${show(replicas)}`);
  }
  if (typeof replicas === 'number' && replicas > 100) {
    throw new StateOptionsError(`${prefix}.replicas must be at most 100; got ${replicas}`);
  }
  const replicaSet = o['replicaSet'] ?? base?.replicaSet ?? 'sentinel';
  if (replicaSet !== 'sentinel' && replicaSet !== 'online') {
    throw new StateOptionsError(`${prefix}.replicaSet must be "sentinel" or "online"; got ${show(replicaSet)}`);
  }
  return Object.freeze({
    replicas,
    replicaSet,
    minReplicas: assertInteger(`${prefix}.minReplicas`, o['minReplicas'] ?? base?.minReplicas ?? 1, 0, 100),
    timeoutMs: assertInteger(`${prefix}.timeoutMs`, o['timeoutMs'] ?? base?.timeoutMs ?? 1000, 1, 600_000),
  });
}
