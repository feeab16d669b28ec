import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { feedServiceDefinition, likesServiceDefinition, type CountsRequestOutput, type CountsResponse } from '@failsoft/contracts';
import { readEnvConfig, ServiceClient, Sidecar, StaticResolver, type HandlerContext, type SidecarServer } from '@failsoft/sidecar';
import { SidecarLifecycle } from '@failsoft/sidecar/nest';
import { createSentinelClient, type StateRedis } from '@failsoft/state';
import type { SentinelTopology } from '@failsoft/testing';
import { AppModule } from '../src/app/app.module';
import { feedEnvSchema } from '../src/app/feed.config';

/** Shared token of the specs' internal calls. */
export const TOKEN = 'feed-spec-token-0123456789';

/** A feed app running in the spec's process. */
export interface FeedInstance {
  /** The instance id (consumer name, lease holder). */
  readonly id: string;
  /** The Nest app. */
  readonly app: INestApplication;
  /** `host:port` of its gRPC server. */
  readonly address: string;
  /** Closes the app (stops the consumer and the job, releases the lease, drains, closes Redis). */
  close(): Promise<void>;
}

/** `REDIS_SENTINELS` of a topology. */
export function sentinelsOf(topology: SentinelTopology): string {
  return topology.sentinels.map(({ host, port }) => `${host}:${port}`).join(',');
}

/** The environment of a feed instance on `topology` (as main.ts would read it). */
export function feedEnv(topology: SentinelTopology, instanceId: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    REDIS_SENTINELS: sentinelsOf(topology),
    REDIS_MASTER_NAME: topology.masterName,
    FAILSOFT_TOKEN: TOKEN,
    INSTANCE_ID: instanceId,
    LOG_LEVEL: 'error',
    ...extra,
  };
}

/** Starts the feed AppModule exactly as main.ts does (config validated from env strings). */
export async function startFeed(topology: SentinelTopology, instanceId: string, extra: Record<string, string> = {}): Promise<FeedInstance> {
  const config = readEnvConfig(feedEnvSchema, feedEnv(topology, instanceId, extra));
  const app = await NestFactory.create(AppModule.forRoot(config), { logger: false, abortOnError: false });
  try {
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined); // no client may outlive a failed start
    throw error;
  }
  const port = app.get(SidecarLifecycle).grpcServer?.port;
  if (port === undefined) throw new Error('the feed gRPC server did not start');
  let closed: Promise<void> | undefined;
  return { id: instanceId, app, address: `127.0.0.1:${port}`, close: () => (closed ??= app.close()) };
}

/** A sidecar ServiceClient pinned to the given feed instances (real gRPC path, shared token). */
export function feedClient(...addresses: string[]): ServiceClient {
  return new ServiceClient({
    service: 'feed',
    definition: feedServiceDefinition(),
    resolver: new StaticResolver({ service: 'feed', addresses }),
    caller: { service: 'gateway', instance: 'gateway-spec-1' },
    auth: { token: TOKEN },
    idempotentMethods: '*',
    timeoutMs: 5000,
  });
}

/** A failover-safe Redis client of the topology (the spec plays upload with it). */
export function stateClient(topology: SentinelTopology): StateRedis {
  return createSentinelClient({
    sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })),
    masterName: topology.masterName,
    errorLogIntervalMs: 60_000,
    logger: { warn: () => undefined },
  });
}

/** A post as the spec publishes it. */
export interface SpecPost {
  readonly id: string;
  readonly createdAtMs: number;
  readonly author?: string;
  readonly caption?: string;
}

/** Does what upload does for a new post: writes its hash, then appends the post event. Returns the entry id. */
export async function publishPost(redis: StateRedis, post: SpecPost): Promise<string> {
  await redis.hset(`failsoft:post:${post.id}`, {
    id: post.id,
    author: post.author ?? 'author-1',
    caption: post.caption ?? `caption of ${post.id}`,
    createdAtMs: String(post.createdAtMs),
    width: '640',
    height: '480',
    contentType: 'image/png',
    thumbnailWidth: '320',
    thumbnailHeight: '240',
  });
  return (await redis.xadd('failsoft:posts', '*', 'type', 'created', 'postId', post.id, 'createdAtMs', String(post.createdAtMs))) as string;
}

/** A stand-in likes service: serves `Counts` from the real `failsoft:likes:<postId>` sets, optionally slowly. */
export interface LikesStub {
  /** Calls served. */
  readonly calls: number;
  /** Deregisters and stops serving. */
  close(): Promise<void>;
}

/**
 * Starts a likes stand-in registered in discovery as `likes` (the feed finds it the way it finds
 * the real one). The feed may not import the likes app (module boundaries); this stub speaks the
 * same contract. `delayMs` makes every call that slow (a hung/slow likes).
 */
export async function startLikesStub(redis: StateRedis, options: { delayMs?: number; instanceId?: string } = {}): Promise<LikesStub> {
  const sidecar = new Sidecar({
    service: 'likes',
    instanceId: options.instanceId ?? `likes-stub-${Math.random().toString(16).slice(2, 8)}`,
    auth: { token: TOKEN },
    redis: redis.connection,
    logLevel: 'error',
    faultInjection: false,
  });
  const server: SidecarServer = sidecar.server({ port: 0, drainTimeoutMs: 100 });
  let calls = 0;
  const unimplemented = async (): Promise<never> => {
    throw new Error('not used by the feed');
  };
  server.addService(likesServiceDefinition(), {
    Like: unimplemented,
    Unlike: unimplemented,
    async Counts(request: CountsRequestOutput, ctx: HandlerContext): Promise<CountsResponse> {
      calls++;
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, Math.min(options.delayMs ?? 0, ctx.remainingMs() + 50)));
      const pipeline = redis.pipeline();
      for (const id of request.postIds) {
        pipeline.scard(`failsoft:likes:${id}`);
        if (request.viewerId) pipeline.sismember(`failsoft:likes:${id}`, request.viewerId);
      }
      const replies = ((await pipeline.exec()) ?? []).map(([, value]) => Number(value));
      const step = request.viewerId ? 2 : 1;
      return {
        counts: request.postIds.map((postId, i) => ({
          postId,
          count: replies[i * step],
          ...(request.viewerId ? { likedByViewer: replies[i * step + 1] === 1 } : {}),
        })),
      };
    },
  });
  await server.start();
  return {
    get calls() {
      return calls;
    },
    close: () => sidecar.shutdown(),
  };
}
