import type { INestApplication } from '@nestjs/common';
import { connect, type Socket } from 'node:net';
import { bootstrapService } from '@failsoft/sidecar/nest';
import { startSentinelTopology, waitUntil, type SentinelTopology } from '@failsoft/testing';
import { gatewayBootstrapOptions } from '../src/app/gateway.bootstrap';
import { maxConcurrentUploads, MAX_CONCURRENT_UPLOADS } from '../src/app/gateway.config';
import { FakePlatform } from './fake-platform';
import { gatewaySpecEnv, ONE_PIXEL_PNG, SPEC_SECRETS } from './gateway-spec-support';

/**
 * The gateway buffers at most as many uploads at once as its memory limit holds
 * (MEMORY_LIMIT_BYTES, see `maxConcurrentUploads`): the next one is refused with 503
 * `UPLOADS_BUSY` + Retry-After before its body is read, and the count goes down as uploads end
 * (finished or cut off). Real gateway app, real gRPC upstreams, real Redis behind Sentinel.
 */
jest.setTimeout(60_000);

const UPLOAD_MAX_BYTES = 64 * 1024;
/** floor((180e6 x 0.75 - 128 MiB) / (2 x (64 KiB + 64 KiB))) = 2 uploads at once. */
const MEMORY_LIMIT_BYTES = 180_000_000;
const BOUNDARY = 'failsoft-spec-boundary';

let topology: SentinelTopology;
let platform: FakePlatform;
let gateway: INestApplication;
let url: string;
let token: string;
const sockets: Socket[] = [];

/** A complete multipart body with one PNG `image`. */
function multipartBody(): Buffer {
  return Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="p.png"\r\nContent-Type: image/png\r\n\r\n`),
    ONE_PIXEL_PNG,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

/**
 * Starts an upload and sends only the start of its body: the gateway holds it, waiting for the
 * rest. An attempt the gateway answers at once (it lost a race with a probe for the last slot) is
 * replaced by a new one, so the upload ends up held.
 */
function heldUpload(): { release(): void } {
  const { hostname, port } = new URL(url);
  const body = multipartBody();
  let socket: Socket;
  let released = false;
  const open = (): void => {
    socket = connect(Number(port), hostname);
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => {
      socket.destroy();
      if (!released) open();
    });
    socket.write(
      `POST /api/posts HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${token}\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    socket.write(body.subarray(0, 40));
  };
  open();
  return {
    release() {
      released = true;
      socket.destroy();
    },
  };
}

/** A whole upload; resolves with its status, Retry-After and error code. */
async function upload(): Promise<{ status: number; retryAfter: string | null; code?: string }> {
  const res = await fetch(`${url}/api/posts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body: multipartBody(),
  });
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, retryAfter: res.headers.get('retry-after'), code: body.error?.code };
}

beforeAll(async () => {
  topology = await startSentinelTopology({ replicas: 0, sentinels: 1 });
  platform = new FakePlatform({ redisPort: (await topology.currentMaster()).port, token: SPEC_SECRETS.token, uploadMaxBytes: UPLOAD_MAX_BYTES });
  await platform.start('upload');
  const env = gatewaySpecEnv(topology, SPEC_SECRETS, 'gateway-admission', {
    UPLOAD_MAX_BYTES: String(UPLOAD_MAX_BYTES),
    MEMORY_LIMIT_BYTES: String(MEMORY_LIMIT_BYTES),
    RATE_LIMIT_WRITES: '10000',
  });
  gateway = await bootstrapService(gatewayBootstrapOptions(env));
  url = (await gateway.getUrl()).replace('[::1]', '127.0.0.1');
  const signIn = await fetch(`${url}/api/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'alice', password: 'failsoft' }) });
  token = ((await signIn.json()) as { token: string }).token;
  await waitUntil(async () => (await upload()).status === 201, { timeoutMs: 15_000, message: 'the gateway to reach the upload service' });
}, 60_000);

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await gateway?.close();
  await platform?.shutdown();
  await topology?.stop();
});

describe('upload admission (uploads buffered at once, from MEMORY_LIMIT_BYTES)', () => {
  it('derives the limit from the memory limit: 2 here, 12 in deploy/k8s (512 Mi, 10 MiB), 64 without a limit', () => {
    expect(maxConcurrentUploads({ UPLOAD_MAX_BYTES, MEMORY_LIMIT_BYTES })).toBe(2);
    expect(maxConcurrentUploads({ UPLOAD_MAX_BYTES: 10 * 1024 * 1024, MEMORY_LIMIT_BYTES: 512 * 1024 * 1024 })).toBe(12);
    expect(maxConcurrentUploads({ UPLOAD_MAX_BYTES: 10 * 1024 * 1024, } as Parameters<typeof maxConcurrentUploads>[0])).toBe(MAX_CONCURRENT_UPLOADS);
  });

  it('refuses one more upload than the limit with 503 UPLOADS_BUSY + Retry-After, and admits again once one ends', async () => {
    const first = heldUpload();
    const second = heldUpload();
    // once both are held (past sign-in and the rate limit, in the parser), the next is refused
    const refused = await waitUntil(async () => {
      const attempt = await upload();
      return attempt.status === 503 ? attempt : undefined;
    }, { timeoutMs: 15_000, message: 'an upload beyond the 2 held to be refused' });
    expect(refused).toEqual({ status: 503, retryAfter: '1', code: 'UPLOADS_BUSY' });

    first.release(); // a client that gives up: its slot is freed
    await waitUntil(async () => (await upload()).status === 201, { timeoutMs: 10_000, message: 'an upload to be admitted after one ended' });
    second.release();
    // no slot leaks: uploads one after the other are all admitted
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await upload()).status);
    expect(statuses).toEqual([201, 201, 201, 201, 201]);
  });
});
