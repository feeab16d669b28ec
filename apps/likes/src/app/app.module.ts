import { hostname } from 'node:os';
import { Module, type DynamicModule } from '@nestjs/common';
import { callerPermissions, serverMessageOptions } from '@failsoft/contracts';
import { serviceAuthOptions, redisCredentialsOf } from '@failsoft/sidecar';
import type { SidecarModuleOptions } from '@failsoft/sidecar/nest';
import { SidecarModule } from '@failsoft/sidecar/nest';
import type { StateRedis } from '@failsoft/state';
import { RedisHealthIndicator, STATE_REDIS, StateModule } from '@failsoft/state/nest';
import type { LikesConfig } from './likes.config';
import { LikesHandlers } from './likes.handlers';
import { LikesRepository } from './likes.repository';

/** The instance id of this process: `INSTANCE_ID`, else `likes-<host>-<pid>` (the sidecar's default). */
export function likesInstanceId(config: LikesConfig): string {
  return config.INSTANCE_ID ?? `likes-${hostname()}-${process.pid}`;
}

/**
 * Root module of the likes service: the failover-safe Redis client (StateModule, global), the
 * sidecar serving `failsoft.likes.v1.LikesService` over gRPC (registered in discovery, drained on
 * shutdown) plus `/livez /readyz /metrics /snapshot` on HTTP, and the readiness check `redis`.
 */
@Module({})
export class AppModule {
  /** Builds the module from the validated environment. */
  static forRoot(config: LikesConfig): DynamicModule {
    const instanceId = likesInstanceId(config);
    return {
      module: AppModule,
      imports: [
        StateModule.forRoot({ redis: { sentinels: config.REDIS_SENTINELS, masterName: config.REDIS_MASTER_NAME, ...redisCredentialsOf(config) }, isGlobal: true }),
        SidecarModule.forRootAsync({
          inject: [STATE_REDIS, RedisHealthIndicator],
          useFactory: (redis: StateRedis, health: RedisHealthIndicator): SidecarModuleOptions => ({
            // not ready (no traffic) while Redis is unreachable; liveness is unaffected
            readinessChecks: { redis: () => health.isUp() },
            service: 'likes',
            instanceId,
            zone: config.ZONE,
            auth: serviceAuthOptions(config),
            ...(config.DISCOVERY_KEY ? { discovery: { key: config.DISCOVERY_KEY } } : {}),
            redis: redis.connection, // the sidecar takes an ioredis client: the one StateRedis wraps
            logLevel: config.LOG_LEVEL,
            server: {
              host: config.BIND_HOST,
              port: config.GRPC_PORT,
              advertiseHost: config.ADVERTISE_HOST,
              // who may call which method, and how large a message may be: the service catalogue
              permissions: callerPermissions('likes'),
              grpcOptions: serverMessageOptions('likes'),
            },
          }),
        }),
      ],
      providers: [LikesRepository, LikesHandlers],
    };
  }
}
