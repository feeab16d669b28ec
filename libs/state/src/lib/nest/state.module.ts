import { DynamicModule, Module } from '@nestjs/common';
import { DurableWriter } from '../durable/durable-writer';
import { IdempotencyStore } from '../idempotency/idempotency-store';
import { LeaseManager } from '../lease/lease-manager';
import { STATE_MODULE_OPTIONS, STATE_REDIS } from './state.constants';
import { RedisHealthIndicator } from './state.health';
import { StateModuleAsyncOptions, StateModuleOptions } from './state.interfaces';
import { createAsyncOptionsProviders, createOptionsProvider, createStateProviders } from './state.providers';

/** What every StateModule exports. */
const EXPORTS = [STATE_REDIS, STATE_MODULE_OPTIONS, DurableWriter, LeaseManager, IdempotencyStore, RedisHealthIndicator];

/**
 * Nest module of @failsoft/state. Provides the Redis client (token {@link STATE_REDIS}), a
 * DurableWriter, a LeaseManager, an IdempotencyStore and a RedisHealthIndicator; on application
 * shutdown it releases held leases and closes the connection.
 *
 * ```ts
 * StateModule.forRoot({ redis: { sentinels: [{ host: '127.0.0.1', port: 26379 }], masterName: 'failsoft' } })
 * StateModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (c) => c.state(), global: true })
 * ```
 */
@Module({})
export class StateModule {
  /** Registers the module with static options (validated now; errors name the bad value). */
  static forRoot(options: StateModuleOptions & { global?: boolean }): DynamicModule {
    const { global, ...rest } = options ?? ({} as StateModuleOptions & { global?: boolean });
    return {
      module: StateModule,
      global: global ?? false,
      providers: [createOptionsProvider(rest as StateModuleOptions), ...createStateProviders()],
      exports: EXPORTS,
    };
  }

  /** Registers the module with options built by a factory, a class, or an existing provider. */
  static forRootAsync(options: StateModuleAsyncOptions): DynamicModule {
    return {
      module: StateModule,
      global: options?.global ?? false,
      imports: options?.imports ?? [],
      providers: [...createAsyncOptionsProviders(options), ...createStateProviders()],
      exports: EXPORTS,
    };
  }
}
