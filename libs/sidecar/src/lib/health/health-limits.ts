import { assertNumber, assertObject } from '../core/validate';

/** Caps of the gRPC health service (it needs no credentials, so anyone who reaches the port may call it). */
export interface HealthLimits {
  /** Longest service name accepted by Check and Watch, in characters (INVALID_ARGUMENT beyond; default 200). */
  readonly maxNameLength: number;
  /** Open Watch streams of the whole process at most (RESOURCE_EXHAUSTED beyond; default 64). */
  readonly maxWatches: number;
  /** Open Watch streams of one connection (one peer address and port) at most (RESOURCE_EXHAUSTED beyond; default 8). */
  readonly maxWatchesPerConnection: number;
}

/** The defaults of {@link HealthLimits}. */
export const DEFAULT_HEALTH_LIMITS: HealthLimits = Object.freeze({ maxNameLength: 200, maxWatches: 64, maxWatchesPerConnection: 8 });

/** Checks health limits, filling in defaults. @throws InvalidOptionsError naming the bad value. */
export function resolveHealthLimits(limits: Partial<HealthLimits> | undefined, name = 'healthLimits'): HealthLimits {
  const given = assertObject(name, limits, true) as Partial<HealthLimits>;
  return {
    maxNameLength: assertNumber(`${name}.maxNameLength`, given.maxNameLength ?? DEFAULT_HEALTH_LIMITS.maxNameLength, 1, 65_536, true),
    maxWatches: assertNumber(`${name}.maxWatches`, given.maxWatches ?? DEFAULT_HEALTH_LIMITS.maxWatches, 1, 100_000, true),
    maxWatchesPerConnection: assertNumber(`${name}.maxWatchesPerConnection`, given.maxWatchesPerConnection ?? DEFAULT_HEALTH_LIMITS.maxWatchesPerConnection, 1, 100_000, true),
  };
}
