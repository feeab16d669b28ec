import { Module, type DynamicModule } from '@nestjs/common';
import { callerPermissions, likesServiceDefinition, serverMessageOptions } from '@failsoft/contracts';
import { serviceAuthOptions, redisCredentialsOf } from '@failsoft/sidecar';
import { SidecarModule, type SidecarModuleOptions } from '@failsoft/sidecar/nest';
import type { StateRedis } from '@failsoft/state';
import { RedisHealthIndicator, STATE_REDIS, StateModule } from '@failsoft/state/nest';
import { FEED_SETTINGS, feedSettings, type FeedConfig } from './feed.config';
import { FeedHandlers } from './feed.handlers';
import { LikeCountsService } from './like-counts.service';
import { PostRepository } from './post.repository';
import { PostStreamConsumer } from './post-stream.consumer';
import { TimelineRepository } from './timeline.repository';
import { TrendingJob } from './trending.job';

/**
 * Root module of the feed service: the failover-safe Redis client (StateModule, global), the
 * sidecar serving `failsoft.feed.v1.FeedService` (registered in discovery, drained on shutdown)
 * with a resilient client of the likes service, the post-stream consumer that builds the timeline,
 * the trending singleton (lease + fencing), and the readiness check `redis`.
 */
@Module({})
export class AppModule {
  /** Builds the module from the validated environment. */
  static forRoot(config: FeedConfig): DynamicModule {
    const settings = feedSettings(config);
    return {
      module: AppModule,
      imports: [
        StateModule.forRoot({ redis: { sentinels: config.REDIS_SENTINELS, masterName: config.REDIS_MASTER_NAME, ...redisCredentialsOf(config) }, isGlobal: true }),
        SidecarModule.forRootAsync({
          inject: [STATE_REDIS, RedisHealthIndicator],
          clients: ['likes'],
          useFactory: (redis: StateRedis, health: RedisHealthIndicator): SidecarModuleOptions => ({
            // not ready (no traffic) while Redis is unreachable; liveness is unaffected
            readinessChecks: { redis: () => health.isUp() },
            service: 'feed',
            instanceId: settings.instanceId,
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
              permissions: callerPermissions('feed'),
              grpcOptions: serverMessageOptions('feed'),
            },
            clients: [
              {
                service: 'likes',
                definition: likesServiceDefinition(),
                idempotentMethods: ['Counts'],
                // short: GetFeed serves last-seen counts rather than wait on a slow likes service
                timeoutMs: settings.likesTimeoutMs,
              },
            ],
          }),
        }),
      ],
      providers: [
        { provide: FEED_SETTINGS, useValue: settings },
        TimelineRepository,
        PostRepository,
        LikeCountsService,
        FeedHandlers,
        PostStreamConsumer,
        TrendingJob,
      ],
    };
  }
}
