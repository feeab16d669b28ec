import { Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { SessionTokenService } from '../auth/session-token.service';
import { OperatorGuard } from '../auth/operator.guard';
import { SignedInGuard } from '../auth/signed-in.guard';
import { TokenRevocationService } from '../auth/token-revocation.service';
import { RateLimiterService } from '../rate-limit/rate-limiter.service';
import { ConsoleActionPolicy } from './console-action-policy.service';
import type { GatewayConfig } from '../gateway.config';
import { GATEWAY_CONFIG } from '../gateway.constants';
import { CONSOLE_OPTIONS, type ConsoleOptions } from './console.constants';
import { ConsoleController } from './console.controller';
import { ConsoleSnapshotService } from './console-snapshot.service';
import { ConsoleStreamsService } from './console-streams.service';
import { ConsoleTrafficMiddleware } from './console-traffic.middleware';
import { ConsoleTrafficService } from './console-traffic.service';
import { ControlClientService } from './control-client.service';
import { DegradedResponseInterceptor } from './degraded-response.interceptor';
import { RedisTopologyService } from './redis-topology.service';

/** The console's options from the gateway configuration. */
export function consoleOptionsOf(config: GatewayConfig): ConsoleOptions {
  return {
    instanceId: config.INSTANCE_ID,
    zone: config.ZONE,
    sentinels: config.REDIS_SENTINELS,
    masterName: config.REDIS_MASTER_NAME,
    sentinelPassword: config.REDIS_SENTINEL_PASSWORD,
    controlUrl: config.FAILSOFT_CONTROL_URL,
    controlToken: config.FAILSOFT_CONTROL_TOKEN,
  };
}

/**
 * The mesh console's backend (the page itself is static: assets/console/, served by WebModule at
 * `/console`): the snapshot and live stream of the topology as this gateway sees it, the traffic
 * of its public API (counted by a middleware and an interceptor on every route), and actions
 * forwarded to the control channel of `failsoft up` when there is one.
 */
@Module({})
export class ConsoleModule implements NestModule {
  /** The module for a validated gateway configuration. */
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: ConsoleModule,
      controllers: [ConsoleController],
      providers: [
        { provide: CONSOLE_OPTIONS, useValue: consoleOptionsOf(config) },
        { provide: GATEWAY_CONFIG, useValue: config },
        SessionTokenService,
        TokenRevocationService,
        SignedInGuard,
        OperatorGuard,
        RateLimiterService,
        ConsoleActionPolicy,
        ConsoleTrafficService,
        ConsoleTrafficMiddleware,
        { provide: APP_INTERCEPTOR, useClass: DegradedResponseInterceptor },
        RedisTopologyService,
        ControlClientService,
        ConsoleSnapshotService,
        ConsoleStreamsService,
      ],
    };
  }

  /** Counts every response of the public API. */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ConsoleTrafficMiddleware).forRoutes({ path: '{*splat}', method: RequestMethod.ALL });
  }
}
