import { get } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MAX_GRPC_MESSAGE_BYTES, uploadServiceDefinition } from '@failsoft/contracts';
import { Sidecar, readEnvConfig } from '@failsoft/sidecar';
import { SidecarLifecycle } from '@failsoft/sidecar/nest';
import { getFreePort } from '@failsoft/testing';
import { AppModule } from '../src/app/app.module';
import { uploadEnvSchema } from '../src/app/upload.config';
import { TOKEN, photo, refusal, status, type UploadApi } from './upload-harness';

jest.setTimeout(60_000);

let app: INestApplication;
let url: string;
let caller: Sidecar;
let upload: UploadApi;

/** GET an endpoint of the app. */
function getJson(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    get(`${url}${path}`, (res) => {
      let data = '';
      res.on('data', (chunk) => (data += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) }));
    }).on('error', reject);
  });
}

beforeAll(async () => {
  // sentinels on free ports nobody listens on: Redis is unreachable for the whole spec
  const sentinels = [await getFreePort(), await getFreePort()].map((port) => `127.0.0.1:${port}`).join(',');
  const config = readEnvConfig(uploadEnvSchema, { HTTP_PORT: '0', GRPC_PORT: '0', REDIS_SENTINELS: sentinels, FAILSOFT_TOKEN: TOKEN, LOG_LEVEL: 'error' });
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true); // the state client's connection warnings
  try {
    app = await NestFactory.create(AppModule.forRoot(config), { logger: false });
    await app.listen(0, '127.0.0.1');
  } finally {
    stderr.mockRestore();
  }
  url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const address = app.get(SidecarLifecycle).grpcServer?.snapshot().address;
  if (address === undefined) throw new Error('the gRPC server is not listening');
  caller = new Sidecar({ service: 'gateway', auth: { token: TOKEN }, logLevel: 'error' });
  const client = caller.client({
    service: 'upload',
    definition: uploadServiceDefinition(),
    resolver: { kind: 'static', service: 'upload', addresses: [address] },
    timeoutMs: 20_000,
    retry: false,
    channelOptions: { 'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES, 'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES },
    serviceBreaker: false,
  });
  await caller.start();
  upload = client.typed();
});

afterAll(async () => {
  await caller?.shutdown();
  await app?.close();
});

describe('upload service with Redis unreachable', () => {
  it('is live but not ready, naming the redis check', async () => {
    expect(await getJson('/livez')).toMatchObject({ status: 200, body: { status: 'ok' } });
    const ready = await getJson('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ ready: false, checks: { redis: { ok: false } } });
    expect(ready.body['failing']).toContain('redis');
  });

  it('still refuses bad input at once (validation never waits on storage)', async () => {
    const refused = await refusal(upload.CreatePost({ author: 'alice', image: Buffer.from('just some text, not a picture') }));
    expect(refused).toMatchObject({ code: status.INVALID_ARGUMENT, errorCode: 'UNSUPPORTED_TYPE' });
    expect((await refusal(upload.GetPost({ postId: '../../x' }))).errorCode).toBe('BAD_POST_ID');
  });

  it('answers valid calls UNAVAILABLE (retryable) instead of crashing or hanging', async () => {
    const image = await photo(64, 48).png().toBuffer();
    const refusals = await Promise.all([
      refusal(upload.CreatePost({ author: 'alice', image, idempotencyKey: 'k-1' })),
      refusal(upload.CreatePost({ author: 'alice', image })),
      refusal(upload.GetPost({ postId: 'p_aaaaaaaaaaaaaaaa' })),
      refusal(upload.GetImage({ postId: 'p_aaaaaaaaaaaaaaaa', variant: 'THUMBNAIL' })),
    ]);
    for (const refused of refusals) {
      expect(refused.code).toBe(status.UNAVAILABLE);
      expect(refused.errorCode).toBe('STORAGE_UNAVAILABLE');
      expect(refused.details).toMatch(/^storage is unavailable/);
    }
    expect((await getJson('/livez')).status).toBe(200);
  });
});
