import { DynamicModule, Module } from '@nestjs/common';
import { DurableWriter } from '../durable/durable-writer';
import { IdempotencyStore } from '../idempotency/idempotency-store';
import { LeaseManager } from '../lease/lease-manager';
import { STATE_MODULE_OPTIONS, STATE_REDIS } from './state.constants';
import { RedisHealthIndicator } from './state.health';
import { ConfigurableStateModule, STATE_ASYNC_OPTIONS_TYPE, STATE_OPTIONS_TYPE } from './state.module-definition';
import { checkAsyncOptions, createStateProviders, validateStateModuleOptions } from './state.providers';

/** What every StateModule exports. */
const EXPORTS = [STATE_REDIS, STATE_MODULE_OPTIONS, DurableWriter, LeaseManager, IdempotencyStore, RedisHealthIndicator];

/**
 * Nest module of @failsoft/state. Provides the Redis client (token {@link STATE_REDIS}), a
 * DurableWriter, a LeaseManager, an IdempotencyStore and a RedisHealthIndicator; on application
 * shutdown it releases held leases and closes the connection.
 *
 * ```ts
 * StateModule.forRoot({ redis: { sentinels: [{ host: '127.0.0.1', port: 26379 }], masterName: 'failsoft' }, isGlobal: true })
 * StateModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (c) => c.state(), isGlobal: true })
 * ```
 */
@Module({})
export class StateModule extends ConfigurableStateModule {
  /** Registers the module with static options (validated now; errors name the bad value). */
  static override forRoot(options: typeof STATE_OPTIONS_TYPE): DynamicModule {
    const { isGlobal: _isGlobal, ...rest } = options ?? ({} as typeof STATE_OPTIONS_TYPE);
    validateStateModuleOptions(rest);
    return StateModule.complete(super.forRoot(options));
  }

  /** Registers the module with options built by exactly one of a factory, a class, or an existing provider. */
  static override forRootAsync(options: typeof STATE_ASYNC_OPTIONS_TYPE): DynamicModule {
    checkAsyncOptions(options);
    return StateModule.complete(super.forRootAsync(options));
  }

  private static complete(definition: DynamicModule): DynamicModule {
    return { ...definition, providers: [...(definition.providers ?? []), ...createStateProviders()], exports: EXPORTS };
  }
}
