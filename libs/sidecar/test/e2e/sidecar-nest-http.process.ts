/**
 * A gateway-like Nest HTTP app started with `bootstrapService`, as the platform's gateway is: the
 * SidecarModule with an `echo` client found through the Redis registry, and `GET /relay?delayMs=`
 * answering with one Echo call downstream (an HTTP request that needs its sidecar client). On
 * SIGTERM it drains the way bootstrapService does it (not ready, grace, close HTTP, then the sidecar).
 *
 * Environment: REDIS_PORT (required), TOKEN (required), GRACE_MS (default 2000), TIMEOUT_MS
 * (default 7000), TTL_MS / HEARTBEAT_MS (registry). Prints `READY <port>` once listening.
 */
import 'reflect-metadata';
import { Controller, Get, Inject, Injectable, Module, Query, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { ServiceClient } from '../../src/lib/client/service-client';
import { env } from '../../src/lib/config/env-config';
import { bootstrapService, InjectSidecarClient, SidecarModule } from '../../src/lib/nest/index';
import { loadEcho, type EchoReply, type EchoRequest } from '../fixtures/load-echo';

const REDIS = Symbol('redis');

@Controller()
class RelayController {
  constructor(@InjectSidecarClient('echo') private readonly echo: ServiceClient) {}

  /** One Echo call downstream; its reply names the instance that served it. */
  @Get('relay')
  async relay(@Query('delayMs') delayMs?: string): Promise<{ instanceId: string; message: string }> {
    const reply = await this.echo.typed<{ Echo: [EchoRequest, EchoReply] }>().Echo({ message: 'via-http', delayMs: Number(delayMs ?? 0) });
    return { instanceId: reply.instanceId, message: reply.message };
  }
}

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /** Runs last: the sidecar has closed its registry by now. */
  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}

const schema = {
  REDIS_PORT: env.port(),
  TOKEN: env.string({ minLength: 16 }),
  TTL_MS: env.int(100, 60_000, { default: 3000 }),
  HEARTBEAT_MS: env.int(50, 60_000, { default: 500 }),
};

function appModule(config: { REDIS_PORT: number; TOKEN: string; TTL_MS: number; HEARTBEAT_MS: number }): DynamicModule {
  const redis = new Redis({ host: '127.0.0.1', port: config.REDIS_PORT, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', () => undefined); // the registry reports its failures itself
  @Module({})
  class RelayAppModule {}
  return {
    module: RelayAppModule,
    imports: [
      SidecarModule.forRoot({
        service: 'http-relay',
        auth: { token: config.TOKEN },
        redis,
        faultInjection: false,
        discovery: { ttlMs: config.TTL_MS, heartbeatMs: config.HEARTBEAT_MS, refreshMs: config.HEARTBEAT_MS },
        logLevel: 'warn',
        clients: [{ service: 'echo', definition: loadEcho().definition, idempotentMethods: ['Echo'], timeoutMs: 9000, attemptTimeoutMs: 8000 }],
      }),
    ],
    controllers: [RelayController],
    providers: [{ provide: REDIS, useValue: redis }, RedisCloser],
  };
}

async function main(): Promise<void> {
  const app = await bootstrapService({
    service: 'http-relay',
    schema,
    module: (config) => appModule(config),
    listen: () => ({ port: 0, host: '127.0.0.1' }),
    drain: { graceMs: Number(process.env['GRACE_MS'] ?? 2000), timeoutMs: Number(process.env['TIMEOUT_MS'] ?? 7000) },
  });
  const port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
  process.stdout.write(`READY ${port}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`sidecar-nest-http: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
