import 'reflect-metadata';
import { Inject, Injectable, Module, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getFreePort, waitUntil } from '@failsoft/testing';
import { ReplicatedServers, startReplicatedServers } from '../../../test/replicated-servers';
import { StateRedis } from '../client/state-redis';
import { DurableWriter } from '../durable/durable-writer';
import { IdempotencyStore } from '../idempotency/idempotency-store';
import { LeaseManager } from '../lease/lease-manager';
import { isStateOptionsError } from '../state.error';
import { STATE_REDIS } from './state.constants';
import { RedisHealthIndicator } from './state.health';
import { StateModuleOptions, StateOptionsFactory } from './state.interfaces';
import { StateModule } from './state.module';

jest.setTimeout(30_000);

/** Stands for an app's config service. */
@Injectable()
class AppConfig {
  port = 0;
  /** Builds the state options from "config". */
  state(): StateModuleOptions {
    return { redis: { port: this.port, errorLogIntervalMs: 60_000 }, durable: { timeoutMs: 500 } };
  }
}

/** Exports the config service. */
@Module({ providers: [AppConfig], exports: [AppConfig] })
class ConfigModule {}

/** A StateOptionsFactory for useClass / useExisting. */
@Injectable()
class StateConfig implements StateOptionsFactory {
  constructor(@Inject(AppConfig) private readonly config: AppConfig) {}
  /** Delegates to the config service. */
  createStateOptions(): StateModuleOptions {
    return this.config.state();
  }
}

/** Exports a StateOptionsFactory (for useExisting). */
@Module({ imports: [ConfigModule], providers: [StateConfig], exports: [StateConfig] })
class StateConfigModule {}

/** A service of the app using everything the module provides. */
@Injectable()
class PostsService {
  constructor(
    @Inject(STATE_REDIS) readonly redis: StateRedis,
    readonly durable: DurableWriter,
    readonly leases: LeaseManager,
    readonly idempotency: IdempotencyStore,
    readonly health: RedisHealthIndicator,
  ) {}
}

describe('StateModule (with @nestjs/testing, real master + 1 replica)', () => {
  let servers: ReplicatedServers;

  beforeAll(async () => {
    servers = await startReplicatedServers(1);
  });
  afterAll(async () => {
    await servers?.stop();
  });

  /** Builds an app with `imports`, exercises every provider, closes it, checks the client is closed. */
  async function exercise(imports: Parameters<typeof Test.createTestingModule>[0]['imports']): Promise<void> {
    const ref = await Test.createTestingModule({ imports, providers: [PostsService] }).compile();
    const app = await ref.init();
    const posts = app.get(PostsService);
    let lease: ReturnType<LeaseManager['lease']> | undefined;
    try {
      await posts.redis.ping();
      expect(await posts.durable.write(['SET', 'nest:k', 'v'])).toEqual({ result: 'OK', acknowledgedBy: 1, required: 1 });
      expect(await posts.idempotency.run('nest-op', () => 'once')).toBe('once');
      lease = posts.leases.lease(`nest-lease-${Math.random().toString(16).slice(2)}`);
      expect((await lease.acquire())?.token).toBeGreaterThan(0);
      const health = await posts.health.check();
      expect(health.redis).toMatchObject({ status: 'up', role: 'master' });
      expect(health.redis.latencyMs).toEqual(expect.any(Number));
    } finally {
      await app.close();
    }
    expect(posts.redis.status).toBe('end');
    expect(lease?.isHeld).toBe(false); // released on shutdown
  }

  it('forRoot provides the client, DurableWriter, LeaseManager, IdempotencyStore and the health indicator, and closes them on shutdown', async () => {
    await exercise([StateModule.forRoot({ redis: { port: servers.master.port, errorLogIntervalMs: 60_000 }, durable: { timeoutMs: 500 } })]);
  });

  it('forRootAsync with imports + useFactory + inject', async () => {
    await exercise([
      StateModule.forRootAsync({
        imports: [ConfigModule],
        inject: [AppConfig],
        useFactory: async (config: AppConfig) => {
          config.port = servers.master.port;
          return config.state();
        },
      }),
    ]);
  });

  it('forRootAsync with useClass and with useExisting', async () => {
    const setPort = {
      provide: 'SET_PORT',
      useFactory: (config: AppConfig) => (config.port = servers.master.port),
      inject: [AppConfig],
    };
    @Module({ imports: [ConfigModule], providers: [setPort, StateConfig], exports: [ConfigModule, StateConfig] })
    class PortModule {}
    await exercise([StateModule.forRootAsync({ imports: [PortModule], useClass: StateConfig })]);
    await exercise([StateModule.forRootAsync({ imports: [PortModule, StateConfigModule], useExisting: StateConfig })]);
  });

  it('isGlobal: true makes the providers visible to every module', async () => {
    @Module({ providers: [PostsService], exports: [PostsService] })
    class FeatureModule {}
    const ref = await Test.createTestingModule({
      imports: [StateModule.forRoot({ isGlobal: true, redis: { port: servers.master.port }, durable: { timeoutMs: 500 } }), FeatureModule],
    }).compile();
    const app = await ref.init();
    try {
      expect(await app.get(PostsService).redis.ping()).toBe('PONG');
    } finally {
      await app.close();
    }
  });

  it('reports down, with the reason, when Redis is unreachable', async () => {
    const ref = await Test.createTestingModule({
      imports: [StateModule.forRoot({ redis: { port: 1, errorLogIntervalMs: 60_000, logger: { warn: () => undefined } } })],
    }).compile();
    const app = await ref.init();
    try {
      const health = await app.get(RedisHealthIndicator).check('cache');
      expect(health.cache.status).toBe('down');
      expect(health.cache.error).toMatch(/^not connected \(connection (connecting|reconnecting|connect)\)$/);
    } finally {
      await app.close();
    }
  });

  it("without redis.logger, the client's connection errors go through the application's Nest logger, not to stderr", async () => {
    const lines: Array<{ level: string; message: unknown; context: unknown }> = [];
    const record =
      (level: string) =>
      (message: unknown, context?: unknown): void => {
        lines.push({ level, message, context });
      };
    const appLogger: LoggerService = { log: record('log'), error: record('error'), warn: record('warn'), debug: record('debug'), verbose: record('verbose') };
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      written.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stderr.write;
    const port = await getFreePort(); // nothing listens: every connect is refused
    const ref = await Test.createTestingModule({ imports: [StateModule.forRoot({ redis: { port, errorLogIntervalMs: 60_000 } })] }).compile();
    ref.useLogger(appLogger);
    const app = await ref.init();
    try {
      const line = await waitUntil(() => lines.find((l) => l.level === 'warn' && l.context === 'failsoft/state'), { timeoutMs: 10_000, message: 'a warn line of failsoft/state' });
      expect(String(line.message)).toContain(`connect ECONNREFUSED 127.0.0.1:${port}`);
    } finally {
      await app.close();
      process.stderr.write = write;
    }
    expect(written.filter((chunk) => chunk.includes('[failsoft/state]'))).toEqual([]);
  });

  it('rejects invalid options at start, naming the bad value', async () => {
    const cases: Array<[() => unknown, string]> = [
      [() => StateModule.forRoot({ redis: { port: servers.master.port }, durable: { replicas: -1 } }), 'state.durable.replicas must be an integer >= 0 or "all"; got -1'],
      [() => StateModule.forRoot({ redis: { sentinels: [], masterName: 'm' } }), 'state.redis.sentinels must be a non-empty array of { host, port }; got []'],
      [() => StateModule.forRoot({ redis: 'redis://localhost' } as never), 'state.redis must be sentinel options ({ sentinels, masterName }) or { host, port }; got "redis://localhost"'],
      [() => StateModule.forRootAsync({}), 'StateModule.forRootAsync needs exactly one of useFactory, useClass, useExisting; got 0'],
    ];
    for (const [make, message] of cases) {
      let error: unknown;
      try {
        make();
      } catch (e) {
        error = e;
      }
      expect(isStateOptionsError(error)).toBe(true);
      expect((error as Error).message).toBe(message);
    }
    const failing = Test.createTestingModule({
      imports: [StateModule.forRootAsync({ useFactory: () => ({ redis: { port: 0 } }) })],
    }).compile();
    await expect(failing).rejects.toThrow('state.redis.port must be an integer from 1 to 65535; got 0');
  });
});
