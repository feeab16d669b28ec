import { Inject, Injectable, Logger, OnApplicationShutdown, Provider } from '@nestjs/common';
import { resolveRedisOptions, resolveSentinelOptions } from '../client/client.options';
import { createRedisClient, createSentinelClient } from '../client/create-client';
import type { StateLogger } from '../client/error-log';
import { StateRedis } from '../client/state-redis';
import { DurableWriter } from '../durable/durable-writer';
import { resolveDurableOptions } from '../durable/durable.options';
import { IdempotencyStore } from '../idempotency/idempotency-store';
import { LeaseManager } from '../lease/lease-manager';
import { resolveLeaseOptions } from '../lease/lease.options';
import { StateOptionsError } from '../state.error';
import { assertKnownKeys, show } from '../validate';
import { STATE_MODULE_OPTIONS, STATE_REDIS } from './state.constants';
import { RedisHealthIndicator } from './state.health';
import type { StateModuleAsyncOptions, StateModuleOptions } from './state.interfaces';

/**
 * Validates module options up front (so a bad config fails at start with a message naming the
 * bad value, e.g. `state.durable.replicas must be an integer >= 0 ...; got -1`).
 */
export function validateStateModuleOptions(options: unknown): StateModuleOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new StateOptionsError(`state options must be an object; got ${show(options)}`);
  }
  const o = options as Record<string, unknown>;
  assertKnownKeys('state', o, ['redis', 'durable', 'leases', 'idempotency', 'health']);
  const redis = o['redis'];
  if (typeof redis !== 'object' || redis === null) {
    throw new StateOptionsError(`state.redis must be sentinel options ({ sentinels, masterName }) or { host, port }; got ${show(redis)}`);
  }
  if ('sentinels' in redis) resolveSentinelOptions(redis, 'state.redis');
  else resolveRedisOptions(redis, 'state.redis');
  resolveDurableOptions(o['durable'], 'state.durable');
  resolveLeaseOptions(o['leases'], 'state.leases');
  return options as StateModuleOptions;
}

/**
 * Where the module's client reports connection problems when `redis.logger` is not set: Nest's
 * `Logger` (context `failsoft/state`), so the lines go through whatever logger the application gave
 * Nest (a JSON logger writes them as JSON) instead of plain text on stderr.
 */
export const nestStateLogger: StateLogger = {
  warn(message: string): void {
    nestLogger.warn(message);
  },
};
const nestLogger = new Logger('failsoft/state');

/** Creates the client the options describe (validated here too: async options arrive only now). */
function createClient(options: StateModuleOptions): StateRedis {
  validateStateModuleOptions(options);
  const redis = { ...options.redis, logger: options.redis.logger ?? nestStateLogger };
  return 'sentinels' in redis ? createSentinelClient(redis) : createRedisClient(redis);
}

/** Closes everything the module created, in order, when the application shuts down. */
@Injectable()
export class StateShutdownHook implements OnApplicationShutdown {
  /** Receives the objects to close. */
  constructor(
    @Inject(STATE_REDIS) private readonly client: StateRedis,
    private readonly leases: LeaseManager,
    private readonly idempotency: IdempotencyStore,
    private readonly durable: DurableWriter,
  ) {}

  /** Releases held leases (a standby takes over at once), stops new work, closes the connection. */
  async onApplicationShutdown(): Promise<void> {
    await this.leases.shutdown().catch(() => undefined);
    this.idempotency.shutdown();
    this.durable.shutdown();
    await this.client.close();
  }
}

/** The providers every StateModule registers (they read STATE_MODULE_OPTIONS). */
export function createStateProviders(): Provider[] {
  return [
    { provide: STATE_REDIS, useFactory: createClient, inject: [STATE_MODULE_OPTIONS] },
    {
      provide: DurableWriter,
      useFactory: (client: StateRedis, o: StateModuleOptions) => new DurableWriter(client, o.durable),
      inject: [STATE_REDIS, STATE_MODULE_OPTIONS],
    },
    {
      provide: LeaseManager,
      useFactory: (client: StateRedis, o: StateModuleOptions) => new LeaseManager(client, { durable: o.durable, ...o.leases }),
      inject: [STATE_REDIS, STATE_MODULE_OPTIONS],
    },
    {
      provide: IdempotencyStore,
      useFactory: (client: StateRedis, o: StateModuleOptions) => new IdempotencyStore(client, { durable: o.durable, ...o.idempotency }),
      inject: [STATE_REDIS, STATE_MODULE_OPTIONS],
    },
    {
      provide: RedisHealthIndicator,
      useFactory: (client: StateRedis, o: StateModuleOptions) => new RedisHealthIndicator(client, o.health),
      inject: [STATE_REDIS, STATE_MODULE_OPTIONS],
    },
    StateShutdownHook,
  ];
}

/**
 * Checks `forRootAsync` options: exactly one of useFactory, useClass, useExisting.
 * @throws StateOptionsError naming what is wrong.
 */
export function checkAsyncOptions(options: StateModuleAsyncOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new StateOptionsError(`StateModule.forRootAsync options must be an object; got ${show(options)}`);
  }
  const ways = [options.useFactory, options.useClass, options.useExisting].filter((w) => w !== undefined);
  if (ways.length !== 1) {
    throw new StateOptionsError(`StateModule.forRootAsync needs exactly one of useFactory, useClass, useExisting; got ${ways.length}`);
  }
  if (options.useFactory !== undefined && typeof options.useFactory !== 'function') {
    throw new StateOptionsError(`StateModule.forRootAsync useFactory must be a function; got ${show(options.useFactory)}`);
  }
}
