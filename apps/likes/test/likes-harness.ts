import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { likesServiceDefinition } from '@failsoft/contracts';
import { readEnvConfig, ServiceClient, StaticResolver } from '@failsoft/sidecar';
import { SidecarLifecycle } from '@failsoft/sidecar/nest';
import type { SentinelTopology } from '@failsoft/testing';
import { AppModule } from '../src/app/app.module';
import { likesEnvSchema } from '../src/app/likes.config';

/** Shared token of the specs' internal calls. */
export const TOKEN = 'likes-spec-token-0123456789';

/** A likes app running in the spec's process. */
export interface LikesInstance {
  /** The Nest app (closed by `close()`). */
  readonly app: INestApplication;
  /** `host:port` of its gRPC server. */
  readonly address: string;
  /** Closes the app (drains the gRPC server, closes Redis). */
  close(): Promise<void>;
}

/** `REDIS_SENTINELS` of a topology. */
export function sentinelsOf(topology: SentinelTopology): string {
  return topology.sentinels.map(({ host, port }) => `${host}:${port}`).join(',');
}

/**
 * Starts the likes AppModule exactly as `main.ts` does (config validated from env-like strings),
 * on free ports, against `topology`.
 */
export async function startLikes(topology: SentinelTopology, instanceId: string): Promise<LikesInstance> {
  const config = readEnvConfig(likesEnvSchema, {
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    REDIS_SENTINELS: sentinelsOf(topology),
    REDIS_MASTER_NAME: topology.masterName,
    FAILSOFT_TOKEN: TOKEN,
    INSTANCE_ID: instanceId,
    LOG_LEVEL: 'error',
  });
  const app = await NestFactory.create(AppModule.forRoot(config), { logger: false, abortOnError: false });
  try {
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined); // no client may outlive a failed start
    throw error;
  }
  const port = app.get(SidecarLifecycle).grpcServer?.port;
  if (port === undefined) throw new Error('the likes gRPC server did not start');
  let closed: Promise<void> | undefined;
  return { app, address: `127.0.0.1:${port}`, close: () => (closed ??= app.close()) };
}

/**
 * A sidecar ServiceClient pinned to the given likes instances (static resolver): the real gRPC
 * path with the shared token. Every LikesService method is idempotent, so all may be retried.
 */
export function likesClient(...addresses: string[]): ServiceClient {
  return new ServiceClient({
    service: 'likes',
    definition: likesServiceDefinition(),
    resolver: new StaticResolver({ service: 'likes', addresses }),
    caller: { service: 'gateway', instance: 'gateway-spec-1' },
    auth: { token: TOKEN },
    idempotentMethods: '*',
    timeoutMs: 5000,
  });
}
