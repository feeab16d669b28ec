import { Module, type DynamicModule } from '@nestjs/common';
import { callerPermissions, serverMessageOptions } from '@failsoft/contracts';
import { serviceAuthOptions, redisCredentialsOf } from '@failsoft/sidecar';
import { SidecarModule, type SidecarModuleOptions } from '@failsoft/sidecar/nest';
import type { StateRedis } from '@failsoft/state';
import { RedisHealthIndicator, STATE_REDIS, StateModule } from '@failsoft/state/nest';
import { PostsRepository } from './posts/posts.repository';
import { CREATE_POST_IDEMPOTENCY_TTL_MS, PostsService } from './posts/posts.service';
import { UploadHandlers } from './posts/upload.handlers';
import { configureSharp } from './sharp.settings';
import type { UploadConfig } from './upload.config';
import { UPLOAD_OPTIONS, defaultUploadOptions, maxConcurrentCallsFor, type UploadOptions } from './upload.options';

/**
 * Root module of the upload service: Redis behind Sentinel (@failsoft/state, global), the sidecar
 * serving `failsoft.upload.v1.UploadService` over gRPC (message limits and caller permissions from the catalogue; messages up to MAX_GRPC_MESSAGE_BYTES both
 * ways) plus `/livez /readyz /metrics /snapshot` on HTTP_PORT, the readiness check `redis`, and
 * graceful drain on SIGTERM (shutdown hooks: not ready → deregister → finish in-flight calls →
 * close Redis).
 */
@Module({})
export class AppModule {
  /**
   * @param config the validated environment.
   * @param options tunables (defaults: 10 MiB / 40 MP images, 320 px WebP thumbnails, calls served
   *   at once derived from MEMORY_LIMIT_BYTES).
   */
  static forRoot(config: UploadConfig, options: Partial<UploadOptions> = {}): DynamicModule {
    configureSharp();
    const maxImageBytes = options.imageLimits?.maxBytes;
    const upload = defaultUploadOptions({
      maxConcurrentCalls: maxConcurrentCallsFor(config.MEMORY_LIMIT_BYTES, maxImageBytes),
      maxPostsPerUser: config.USER_MAX_POSTS,
      maxBytesPerUser: config.USER_MAX_BYTES,
      imageJobTimeoutS: config.IMAGE_JOB_TIMEOUT_S,
      ...options,
    });
    return {
      module: AppModule,
      imports: [
        StateModule.forRoot({
          isGlobal: true,
          redis: { sentinels: config.REDIS_SENTINELS, masterName: config.REDIS_MASTER_NAME, ...redisCredentialsOf(config), connectionName: 'upload' },
          // Idempotency records are plain (not WAITed) writes: one post per key does not rest on them
          // but on the created-marker written in the same durable, atomic script as the post
          // (PostsRepository.create). A durable claim whose WAIT fails would instead stay pending and
          // block every retry with that key for lockTtlMs; a lost claim or result only means a retry
          // runs again and finds the marker. The short lock lets a retry take over quickly from an
          // instance that died mid-call.
          idempotency: { durable: false, lockTtlMs: 15_000, ttlMs: CREATE_POST_IDEMPOTENCY_TTL_MS },
        }),
        SidecarModule.forRootAsync({
          inject: [STATE_REDIS, RedisHealthIndicator],
          useFactory: (redis: StateRedis, health: RedisHealthIndicator): SidecarModuleOptions => ({
            // not ready (no traffic) while Redis is unreachable; liveness is unaffected
            readinessChecks: { redis: () => health.isUp() },
            service: 'upload',
            instanceId: config.INSTANCE_ID,
            zone: config.ZONE,
            auth: serviceAuthOptions(config),
            ...(config.DISCOVERY_KEY ? { discovery: { key: config.DISCOVERY_KEY } } : {}),
            redis: redis.connection, // the sidecar takes an ioredis client: the one StateRedis wraps
            logLevel: config.LOG_LEVEL,
            server: {
              host: config.BIND_HOST,
              port: config.GRPC_PORT,
              advertiseHost: config.ADVERTISE_HOST,
              maxConcurrent: upload.maxConcurrentCalls,
              // who may call which method, and how large a message may be: the service catalogue
              permissions: callerPermissions('upload'),
              grpcOptions: serverMessageOptions('upload'),
            },
          }),
        }),
      ],
      providers: [{ provide: UPLOAD_OPTIONS, useValue: upload }, PostsRepository, PostsService, UploadHandlers],
    };
  }
}
