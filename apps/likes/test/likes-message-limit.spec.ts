import { likesServiceDefinition, SERVICE_MESSAGE_LIMITS } from '@failsoft/contracts';
import { MetadataKeys } from '@failsoft/sidecar';
import { RawGrpcClient, startSentinelTopology, type SentinelTopology } from '@failsoft/testing';
import { startLikes, TOKEN, type LikesInstance } from './likes-harness';

/**
 * The likes server's receive limit (serverMessageOptions('likes'): 128 KiB) on the real app: a
 * larger request from an authenticated, permitted caller is refused RESOURCE_EXHAUSTED by grpc-js
 * from its length prefix, and the handler never sees it; a request just under the limit reaches
 * the handler (negative control: its own validation answers).
 */
jest.setTimeout(60_000);

let topology: SentinelTopology;
let likes: LikesInstance;
let client: RawGrpcClient;

/** Counts with `ids` post ids of 64 characters, as the gateway: the status name and details. */
function counts(ids: number): Promise<string> {
  const request = { postIds: Array.from({ length: ids }, (_, i) => `p${String(i).padStart(63, '0')}`) };
  return client.call('Counts', request);
}

beforeAll(async () => {
  topology = await startSentinelTopology({ replicas: 1, sentinels: 1, quorum: 1 });
  likes = await startLikes(topology, 'likes-limit');
  // as the gateway calls: the shared token and its name
  client = new RawGrpcClient(likesServiceDefinition(), 'LikesService', likes.address, { [MetadataKeys.authorization]: `Bearer ${TOKEN}`, [MetadataKeys.caller]: 'gateway' });
});

afterAll(async () => {
  client?.close();
  await likes?.close();
  await topology?.stop();
});

describe(`likes refuses requests over ${SERVICE_MESSAGE_LIMITS.likes.receiveBytes} bytes`, () => {
  it('answers RESOURCE_EXHAUSTED to a 200 KB Counts request, before its handler', async () => {
    expect(await counts(3000)).toMatch(/^RESOURCE_EXHAUSTED: .*(larger than max|message length)/i); // 3000 × 66 bytes ≈ 198 KB
  });

  it('lets a 99 KB request through to the handler (which refuses 1500 ids itself), and serves a normal one', async () => {
    const nearLimit = await counts(1500); // 1500 × 66 bytes ≈ 99 KB: under the limit
    expect(nearLimit).not.toMatch(/^RESOURCE_EXHAUSTED/);
    expect(nearLimit).toMatch(/^INVALID_ARGUMENT: .*500/);
    expect(await counts(500)).toBe('OK');
  });
});
