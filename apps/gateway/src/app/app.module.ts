import { Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_FILTER, DiscoveryModule } from '@nestjs/core';
import { serviceAuthOptions, redisCredentialsOf } from '@failsoft/sidecar';
import { LivenessController, SidecarModule } from '@failsoft/sidecar/nest';
import { StateModule, STATE_REDIS } from '@failsoft/state/nest';
import type { StateRedis } from '@failsoft/state';
import { AuthController } from './auth/auth.controller';
import { SessionTokenService } from './auth/session-token.service';
import { SignedInGuard } from './auth/signed-in.guard';
import { SignInThrottleService } from './auth/sign-in-throttle.service';
import { TokenRevocationService } from './auth/token-revocation.service';
import { ViewerGuard } from './auth/viewer.guard';
import { ApiHeadersMiddleware } from './common/api-headers.middleware';
import { HostOriginMiddleware } from './common/host-origin.middleware';
import { HttpServerLimitsService } from './common/http-server-limits.service';
import { ConsoleModule } from './console/console.module';
import { RouteCatalogService } from './common/route-catalog.service';
import { ApiExceptionFilter } from './errors/api-exception.filter';
import { FeedController } from './feed/feed.controller';
import { FeedService } from './feed/feed.service';
import { LastGoodFeedCache } from './feed/last-good-feed.cache';
import { GATEWAY_DOWNSTREAMS, gatewayClients } from './gateway.clients';
import type { GatewayConfig } from './gateway.config';
import { GATEWAY_CONFIG } from './gateway.constants';
import { AdminPortService } from './health/admin-port.service';
import { HealthController } from './health/health.controller';
import { OpenApiController } from './openapi/openapi.controller';
import { LikesController } from './posts/likes.controller';
import { LikesService } from './posts/likes.service';
import { ImageResponsesLimiter } from './posts/image-responses.limiter';
import { MultipartImageInterceptor } from './posts/multipart-image.interceptor';
import { PostsController } from './posts/posts.controller';
import { PostsService } from './posts/posts.service';
import { RateLimiterService } from './rate-limit/rate-limiter.service';
import { WriteRateLimit } from './rate-limit/write-rate-limit';
import { WebModule } from './web/web.module';

/**
 * Root module of the gateway, the public HTTP edge: the REST JSON API on HTTP_PORT plus the
 * sidecar's `/livez /readyz /metrics /snapshot`. Wiring per docs/platform.md: StateModule gives the
 * failover-safe Redis client (rate limits, the shared last-good page, and the sidecar's discovery);
 * SidecarModule gives one resilient client per downstream (see `gatewayClients`). The gateway
 * serves no gRPC and registers nothing.
 *
 * Readiness deliberately has no Redis check: the gateway keeps serving while Redis fails over
 * (discovery is fail-static, rate limits fail open, last-good copies are in memory), and an
 * unready pair of gateways would take the whole front door down with it.
 */
@Module({})
export class AppModule implements NestModule {
  /** The module for a validated configuration. */
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DiscoveryModule,
        WebModule.forRoot(),
        StateModule.forRoot({ redis: { sentinels: config.REDIS_SENTINELS, masterName: config.REDIS_MASTER_NAME, ...redisCredentialsOf(config) }, isGlobal: true }),
        SidecarModule.forRootAsync({
          inject: [STATE_REDIS],
          clients: GATEWAY_DOWNSTREAMS,
          // with ADMIN_PORT the admin endpoints move there (AdminPortService); /livez stays here too
          httpEndpoints: config.ADMIN_PORT === 0,
          useFactory: (redis: StateRedis) => ({
            service: 'gateway',
            instanceId: config.INSTANCE_ID,
            zone: config.ZONE,
            auth: serviceAuthOptions(config),
            ...(config.DISCOVERY_KEY ? { discovery: { key: config.DISCOVERY_KEY } } : {}),
            redis: redis.connection, // the sidecar takes an ioredis client: the one StateRedis wraps
            logLevel: config.LOG_LEVEL,
            clients: gatewayClients(config),
          }),
        }),
        ConsoleModule.forRoot(config),
      ],
      controllers: [AuthController, FeedController, PostsController, LikesController, HealthController, OpenApiController, ...(config.ADMIN_PORT === 0 ? [] : [LivenessController])],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        SessionTokenService,
        TokenRevocationService,
        SignInThrottleService,
        SignedInGuard,
        ViewerGuard,
        RateLimiterService,
        WriteRateLimit,
        MultipartImageInterceptor,
        ImageResponsesLimiter,
        LastGoodFeedCache,
        FeedService,
        PostsService,
        LikesService,
        RouteCatalogService,
        AdminPortService,
        HttpServerLimitsService,
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
      ],
    };
  }

  /** Host and Origin checks first, then security and caching headers on every response. */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HostOriginMiddleware).forRoutes({ path: '{*splat}', method: RequestMethod.ALL });
    consumer.apply(ApiHeadersMiddleware).forRoutes({ path: '*splat', method: RequestMethod.ALL });
  }
}
