import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency, Type } from '@nestjs/common';
import type { RedisClientOptions, SentinelClientOptions } from '../client/client.options';
import type { DurableOptions } from '../durable/durable.options';
import type { IdempotencyOptions } from '../idempotency/idempotency-store';
import type { LeaseOptions } from '../lease/lease.options';
import type { RedisHealthOptions } from './state.health';

/** Options of {@link StateModule}. */
export interface StateModuleOptions {
  /** Sentinel client options (`sentinels` + `masterName`), or a plain `{ host, port }` for dev/tests. */
  redis: SentinelClientOptions | RedisClientOptions;
  /** Defaults of the DurableWriter (replicas, timeout). */
  durable?: DurableOptions;
  /** Defaults of every lease made by the LeaseManager. */
  leases?: LeaseOptions;
  /** Options of the IdempotencyStore. */
  idempotency?: IdempotencyOptions;
  /** Options of the RedisHealthIndicator. */
  health?: RedisHealthOptions;
}

/** A class that builds the options (for `forRootAsync({ useClass })` / `useExisting`). */
export interface StateOptionsFactory {
  /** Returns the module options. */
  createStateOptions(): StateModuleOptions | Promise<StateModuleOptions>;
}

/** Options of `StateModule.forRootAsync`. */
export interface StateModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Builds the options from the injected `inject` tokens. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  useFactory?: (...args: any[]) => StateModuleOptions | Promise<StateModuleOptions>;
  /** Tokens injected into `useFactory`. */
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  /** A {@link StateOptionsFactory} class instantiated by this module. */
  useClass?: Type<StateOptionsFactory>;
  /** An existing {@link StateOptionsFactory} provider (from `imports`). */
  useExisting?: Type<StateOptionsFactory>;
  /** Register the providers globally (default false). */
  isGlobal?: boolean;
}
