/** Injection token of the validated {@link StateModuleOptions}. */
export const STATE_MODULE_OPTIONS = Symbol('STATE_MODULE_OPTIONS');

/** Injection token of the Redis client (a StateRedis): `@Inject(STATE_REDIS) redis: StateRedis`. */
export const STATE_REDIS = Symbol('STATE_REDIS');
