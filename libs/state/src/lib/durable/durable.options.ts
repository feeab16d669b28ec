import { InvalidOptionsError } from '../state.error';
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
}

/** {@link DurableOptions} with defaults filled in. */
export interface ResolvedDurableOptions {
  replicas: number | 'all';
  minReplicas: number;
  timeoutMs: number;
}

/** Validates durable options; messages name the bad value, e.g. `durable.replicas must be ...; got -1`. */
export function resolveDurableOptions(options: unknown, prefix = 'durable', base?: ResolvedDurableOptions): ResolvedDurableOptions {
  const o = assertObject(prefix, options);
  assertKnownKeys(prefix, o, ['replicas', 'minReplicas', 'timeoutMs']);
  const replicas = o['replicas'] ?? base?.replicas ?? 'all';
  if (replicas !== 'all' && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
    throw new InvalidOptionsError(`${prefix}.replicas must be an integer >= 0 or "all"; got ${show(replicas)}`);
  }
  if (typeof replicas === 'number' && replicas > 100) {
    throw new InvalidOptionsError(`${prefix}.replicas must be at most 100; got ${replicas}`);
  }
  return {
    replicas,
    minReplicas: assertInteger(`${prefix}.minReplicas`, o['minReplicas'] ?? base?.minReplicas ?? 1, 0, 100),
    timeoutMs: assertInteger(`${prefix}.timeoutMs`, o['timeoutMs'] ?? base?.timeoutMs ?? 1000, 1, 600_000),
  };
}
