import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Metadata, status } from '@grpc/grpc-js';
import sharp from 'sharp';
import {
  MAX_GRPC_MESSAGE_BYTES,
  uploadServiceDefinition,
  type CreatePostRequest,
  type CreatePostResponseOutput,
  type DeletePostRequest,
  type DeletePostResponseOutput,
  type GetImageRequest,
  type GetPostRequest,
  type ImageOutput,
  type PostOutput,
} from '@failsoft/contracts';
import { Sidecar, readEnvConfig, type ServiceClient, type TypedClient } from '@failsoft/sidecar';
import { createSentinelClient, type StateRedis } from '@failsoft/state';
import { redisCommand, waitUntil, type SentinelTopology } from '@failsoft/testing';
import { AppModule } from '../src/app/app.module';
import { uploadEnvSchema } from '../src/app/upload.config';
import type { UploadOptions } from '../src/app/upload.options';

/** Token shared by the service under test and the test client. */
export const TOKEN = 'upload-spec-token-0123456789abcdef';

/** The upload service's methods, typed as a caller sees them. */
export type UploadApi = TypedClient<{
  CreatePost: [CreatePostRequest, CreatePostResponseOutput];
  GetPost: [GetPostRequest, PostOutput];
  DeletePost: [DeletePostRequest, DeletePostResponseOutput];
  GetImage: [GetImageRequest, ImageOutput];
}>;

/** The upload service running in this process, and a client reaching it through the real gRPC path. */
export interface UploadHarness {
  /** The Nest app (HTTP endpoints + gRPC server). */
  readonly app: INestApplication;
  /** Base URL of its HTTP endpoints. */
  readonly url: string;
  /** Typed sidecar client of `upload` (discovery through the Sentinel-backed registry, token auth). */
  readonly upload: UploadApi;
  /** The same client untyped (for `stream()`). */
  readonly client: ServiceClient;
  /** Stops the client and the app. */
  close(): Promise<void>;
}

/** Sentinel connection of a topology, for ioredis clients. */
function sentinelsOf(topology: SentinelTopology): Array<{ host: string; port: number }> {
  return topology.sentinels.map(({ host, port }) => ({ host, port }));
}

/**
 * Starts the upload app (AppModule.forRoot with a config read from env-like values, exactly like
 * main.ts; `env` adds or overrides variables) against `topology`, and a sidecar client that finds
 * it in discovery. `options` are the tunables that have no variable (e.g. the image queue).
 */
export async function startUpload(topology: SentinelTopology, env: Record<string, string> = {}, options: Partial<UploadOptions> = {}): Promise<UploadHarness> {
  const config = readEnvConfig(uploadEnvSchema, {
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    REDIS_SENTINELS: sentinelsOf(topology)
      .map(({ host, port }) => `${host}:${port}`)
      .join(','),
    REDIS_MASTER_NAME: topology.masterName,
    FAILSOFT_TOKEN: TOKEN,
    LOG_LEVEL: 'warn',
    INSTANCE_ID: `upload-spec-${process.pid}`,
    ...env,
  });
  const app = await NestFactory.create(AppModule.forRoot(config, options), { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');

  const redis: StateRedis = createSentinelClient({ sentinels: sentinelsOf(topology), masterName: topology.masterName, errorLogIntervalMs: 60_000, logger: { warn: () => undefined } });
  const caller = new Sidecar({ service: 'gateway', auth: { token: TOKEN }, redis: redis.connection, logLevel: 'error', faultInjection: false });
  const client = caller.client({
    service: 'upload',
    definition: uploadServiceDefinition(),
    idempotentMethods: ['GetPost', 'GetImage'],
    timeoutMs: 20_000,
    channelOptions: { 'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES, 'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES },
    serviceBreaker: false,
  });
  await caller.start();
  await waitUntil(() => client.snapshot().instances.length > 0, { timeoutMs: 15_000, message: 'the client to discover the upload instance' });
  return {
    app,
    url,
    upload: client.typed(),
    client,
    async close() {
      await caller.shutdown();
      await redis.close();
      await app.close();
    },
  };
}

/** What a refused call carried: gRPC status, details and `x-failsoft-error-code`. */
export interface Refusal {
  readonly code: number;
  readonly details: string;
  readonly errorCode: string | undefined;
}

/** Awaits a call expected to fail and returns its status, details and machine code. */
export async function refusal(call: Promise<unknown>): Promise<Refusal> {
  const outcome = await call.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`expected the call to fail, but it answered ${JSON.stringify(outcome.value).slice(0, 200)}`);
  const error = outcome.error as { code?: unknown; details?: unknown; message?: string; metadata?: Metadata };
  if (typeof error.code !== 'number' || !(error.metadata instanceof Metadata)) throw outcome.error;
  const machine = error.metadata.get('x-failsoft-error-code')[0];
  return { code: error.code, details: String(error.details ?? error.message), errorCode: machine === undefined ? undefined : String(machine) };
}

export { status };

/** The post of a CreatePost reply (fails the test when it is missing). */
export function postOf(reply: CreatePostResponseOutput): PostOutput {
  if (reply.post === null) throw new Error(`CreatePost answered without a post: ${JSON.stringify(reply)}`);
  return reply.post;
}

/** Every key of the master except the sidecar's own (registry, fault rules), sorted. */
export async function dataKeys(topology: SentinelTopology): Promise<string[]> {
  const master = await topology.currentMaster();
  const keys = (await redisCommand(master.port, ['KEYS', '*'])) as string[];
  return keys.filter((key) => !key.startsWith('failsoft:registry') && !key.startsWith('failsoft:faults')).sort();
}

/** Length of the post event stream on the master. */
export async function streamLength(topology: SentinelTopology): Promise<number> {
  const master = await topology.currentMaster();
  return Number(await redisCommand(master.port, ['XLEN', 'failsoft:posts']));
}

/** A width×height picture with noise, so it compresses like a photo (not a flat colour). */
export function photo(width = 640, height = 480): sharp.Sharp {
  return sharp({ create: { width, height, channels: 3, background: '#4a7bb7', noise: { type: 'gaussian', mean: 120, sigma: 40 } } });
}

/** Test images, one per accepted format. */
export async function sampleImages(): Promise<Record<'png' | 'jpeg' | 'webp' | 'gif', Buffer>> {
  const raw = await photo().raw().toBuffer({ resolveWithObject: true });
  const from = () => sharp(raw.data, { raw: { width: raw.info.width, height: raw.info.height, channels: raw.info.channels } });
  return {
    png: await from().png().toBuffer(),
    jpeg: await from().jpeg({ quality: 85 }).toBuffer(),
    webp: await from().webp({ quality: 85 }).toBuffer(),
    gif: await from().gif().toBuffer(),
  };
}
