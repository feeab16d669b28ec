import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, show } from '../core/validate';
import { env } from './env-config';

/** The container's memory limit in bytes, optional (Kubernetes: `resourceFieldRef: limits.memory`). */
export const memoryLimitEnvSchema = {
  /**
   * Memory limit of this process's container, in bytes. Set by deploy/k8s from the pod spec; unset
   * (`npm start`, compose without a limit), work that buffers large bodies uses its fixed maximum.
   */
  MEMORY_LIMIT_BYTES: env.int(16 * 1024 * 1024, Number.MAX_SAFE_INTEGER, { optional: true }),
};

/** Options of {@link concurrencyForMemory}. */
export interface MemoryConcurrencyOptions {
  /** Memory limit of the process in bytes; `undefined` when none is known (then `max` applies). */
  readonly limitBytes: number | undefined;
  /** Bytes kept for everything but this work: the runtime, code, caches, connections. */
  readonly reservedBytes: number;
  /** Bytes one unit of this work holds at its peak (e.g. the copies of one upload's body). */
  readonly perTaskBytes: number;
  /** Share of the limit this work and the reserve may use together, 0 to 1 (default 0.75: the rest is garbage-collector headroom). */
  readonly usableShare?: number;
  /** Fewest units ever admitted (default 1). */
  readonly min?: number;
  /** Most units ever admitted, also the answer when no limit is known. */
  readonly max: number;
}

/**
 * How many units of a memory-heavy work may run at once within a memory limit:
 *
 *     floor((limitBytes x usableShare - reservedBytes) / perTaskBytes), clamped to [min, max]
 *
 * (`max` when no limit is known). E.g. a 768 MiB upload container with 192 MiB reserved and
 * 30 MiB per call: floor((576 - 192) / 30) = 12 calls.
 * @throws InvalidOptionsError naming a bad option and its value.
 */
export function concurrencyForMemory(options: MemoryConcurrencyOptions): number {
  const max = assertNumber('memory.max', options.max, 1, Infinity, true);
  const min = assertNumber('memory.min', options.min ?? 1, 1, max, true);
  const reserved = assertNumber('memory.reservedBytes', options.reservedBytes, 0);
  const perTask = assertNumber('memory.perTaskBytes', options.perTaskBytes, 1);
  const share = assertNumber('memory.usableShare', options.usableShare ?? 0.75, 0.05, 1);
  if (options.limitBytes === undefined) return max;
  if (typeof options.limitBytes !== 'number' || !(options.limitBytes > 0)) {
    throw new InvalidOptionsError(`memory.limitBytes must be a positive number of bytes or undefined; got ${show(options.limitBytes)}`);
  }
  const fits = Math.floor((options.limitBytes * share - reserved) / perTask);
  return Math.min(max, Math.max(min, fits));
}
