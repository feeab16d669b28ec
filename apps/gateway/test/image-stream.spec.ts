import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { INestApplication } from '@nestjs/common';
import { bootstrapService } from '@failsoft/sidecar/nest';
import { startSentinelTopology, waitUntil, type SentinelTopology } from '@failsoft/testing';
import { gatewayBootstrapOptions } from '../src/app/gateway.bootstrap';
import { ImageResponsesLimiter, MAX_ORIGINAL_RESPONSES_PER_CLIENT } from '../src/app/posts/image-responses.limiter';
import { FakePlatform, fakePostId } from './fake-platform';
import { gatewaySpecEnv, SPEC_SECRETS } from './gateway-spec-support';

/**
 * Originals are streamed end to end (upload StreamImage → sidecar stream → HTTP response with
 * backpressure): the real gateway against the fake upstreams of fake-platform.ts, found through
 * discovery in a real Redis. Memory is measured in this process (gateway, fake upload and clients
 * share it) after forced GCs, as heap + array buffers, against the spread of repeated baselines.
 */
jest.setTimeout(90_000);

/** Larger than what loopback socket buffers can swallow, so a client that does not read stalls the pipeline. */
const IMAGE_BYTES = 16 * 1024 * 1024 + 777;
const STALLED = MAX_ORIGINAL_RESPONSES_PER_CLIENT;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let topology: SentinelTopology;
let platform: FakePlatform;
const apps: INestApplication[] = [];
let patient: { url: string; limiter: ImageResponsesLimiter };
let strict: { url: string; limiter: ImageResponsesLimiter };
let image: Buffer;
let postId: string;

async function startGateway(instance: string, sendTimeoutMs: number): Promise<{ url: string; limiter: ImageResponsesLimiter }> {
  const env = gatewaySpecEnv(topology, SPEC_SECRETS, instance, { ZONE: undefined, IMAGE_SEND_TIMEOUT_MS: String(sendTimeoutMs) });
  const app = await bootstrapService(gatewayBootstrapOptions(env));
  apps.push(app);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  await waitUntil(async () => ((await fetch(`${url}/api/health`).then((r) => r.json())) as { status?: string }).status === 'ok', { timeoutMs: 15_000, message: `${instance} to discover every part` });
  return { url, limiter: app.get(ImageResponsesLimiter) };
}

beforeAll(async () => {
  topology = await startSentinelTopology({ replicas: 0, sentinels: 1 });
  const master = await topology.currentMaster();
  platform = new FakePlatform({ redisPort: master.port, token: SPEC_SECRETS.token, uploadMaxBytes: 64 * 1024 });
  await Promise.all([platform.start('upload'), platform.start('likes'), platform.start('feed')]);
  patient = await startGateway('gateway-patient', 600_000);
  strict = await startGateway('gateway-strict', 400);
  image = randomBytes(IMAGE_BYTES);
  postId = fakePostId(900_001);
  const post = { id: postId, author: 'alice', caption: 'big', createdAtMs: Date.now(), width: 4000, height: 3000, contentType: 'image/png', thumbnailWidth: 400, thumbnailHeight: 300 };
  platform.data.posts.set(postId, { post, image });
}, 90_000);

afterAll(async () => {
  for (const app of apps.splice(0)) await app.close();
  await platform?.shutdown();
  await topology?.stop();
});

/** A client that reads the status and headers, then nothing more. */
interface StalledClient {
  readonly response: IncomingMessage;
  readonly request: ClientRequest;
  closed: boolean;
}

function stalledClient(url: string): Promise<StalledClient> {
  return new Promise((resolve, reject) => {
    const request = get(`${url}/api/posts/${postId}/image`, { agent: false }, (response) => {
      response.pause();
      const client: StalledClient = { response, request, closed: false };
      response.on('error', () => undefined);
      response.socket.once('close', () => (client.closed = true));
      resolve(client);
    });
    request.on('error', reject);
  });
}

/** Heap + array buffers after full GCs. */
function memoryInUse(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

describe('original images are streamed, not buffered', () => {
  it('a multi-MiB original downloads byte for byte with the image headers', async () => {
    const response = await fetch(`${patient.url}/api/posts/${postId}/image`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('content-length')).toBe(String(IMAGE_BYTES));
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.length).toBe(IMAGE_BYTES);
    expect(body.equals(image)).toBe(true);
    expect(patient.limiter.inFlight).toBe(0);
    const missing = await fetch(`${patient.url}/api/posts/${fakePostId(900_002)}/image`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it(`${STALLED} clients that read nothing do not make the gateway hold their images; closing them cancels upstream`, async () => {
    const baseline = Array.from({ length: 5 }, memoryInUse);
    const spread = Math.max(...baseline) - Math.min(...baseline);
    const before = baseline.reduce((a, b) => a + b, 0) / baseline.length;
    const clients = await Promise.all(Array.from({ length: STALLED }, () => stalledClient(patient.url)));
    // every upstream stream waits for its write to be taken: backpressure reached the upload service
    await waitUntil(() => platform.imageStreams.blocked === STALLED && platform.imageStreams.running === STALLED, { timeoutMs: 30_000, message: 'every stream to stall at upload' });
    expect(patient.limiter.inFlight).toBe(STALLED);
    const growth = memoryInUse() - before;
    // buffered responses would grow by STALLED × IMAGE_BYTES; streamed ones hold a few chunks each
    expect(growth - 3 * spread).toBeLessThan(IMAGE_BYTES);
    // negative control: the same measure does see STALLED images held in memory
    const held = Array.from({ length: STALLED }, () => Buffer.alloc(IMAGE_BYTES, 1));
    expect(memoryInUse() - before - growth + 3 * spread).toBeGreaterThan(STALLED * IMAGE_BYTES * 0.9);
    held.length = 0;
    // a fifth original for the same address is refused with the JSON error while the slots are taken
    const refused = await fetch(`${patient.url}/api/posts/${postId}/image`);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });

    for (const client of clients) client.request.destroy();
    await waitUntil(() => patient.limiter.inFlight === 0 && platform.imageStreams.running === 0, { timeoutMs: 10_000, message: 'slots freed and upstream streams cancelled' });
  });

  it('a client that reads nothing is cut after the send timeout and its slot freed (not with a long timeout)', async () => {
    const [cut, kept] = await Promise.all([stalledClient(strict.url), stalledClient(patient.url)]);
    await waitUntil(() => strict.limiter.inFlight === 0 && platform.imageStreams.running === 1, { timeoutMs: 20_000, message: 'the strict gateway to cut its idle reader, free its slot and cancel its upstream stream' });
    // negative control: the same stalled reader on a gateway with a long send timeout still holds its slot
    expect(patient.limiter.inFlight).toBe(1);
    // the cut client, reading at last, finds the connection closed before the announced length
    let received = 0;
    cut.response.on('data', (chunk: Buffer) => (received += chunk.length));
    cut.response.resume();
    await waitUntil(() => cut.closed, { timeoutMs: 10_000, message: 'the cut client to see its connection closed' });
    expect(cut.response.complete).toBe(false);
    expect(received).toBeLessThan(IMAGE_BYTES);
    expect(kept.closed).toBe(false);
    kept.request.destroy();
    await waitUntil(() => patient.limiter.inFlight === 0 && platform.imageStreams.running === 0, { timeoutMs: 10_000, message: 'every slot and stream released' });
  });
});
