import { feedServiceDefinition, SERVICE_MESSAGE_LIMITS } from '@failsoft/contracts';
import { MetadataKeys } from '@failsoft/sidecar';
import { RawGrpcClient, startSentinelTopology, type SentinelTopology } from '@failsoft/testing';
import { startFeed, TOKEN, type FeedInstance } from './feed-harness';

/**
 * The feed server's receive limit (serverMessageOptions('feed'): 16 KiB) on the real app: a larger
 * GetFeed from an authenticated, permitted caller is refused RESOURCE_EXHAUSTED by grpc-js from its
 * length prefix; a request under the limit reaches the handler (negative control: the handler's
 * own cursor check answers INVALID_ARGUMENT).
 */
jest.setTimeout(60_000);

let topology: SentinelTopology;
let feed: FeedInstance;
let client: RawGrpcClient;

/** GetFeed with a cursor of `cursorBytes` characters, as the gateway: the status name and details. */
function getFeed(cursorBytes: number): Promise<string> {
  return client.call('GetFeed', { cursor: 'x'.repeat(cursorBytes), limit: 5 });
}

beforeAll(async () => {
  topology = await startSentinelTopology({ replicas: 1, sentinels: 1, quorum: 1 });
  feed = await startFeed(topology, 'feed-limit');
  // as the gateway calls: the shared token and its name
  client = new RawGrpcClient(feedServiceDefinition(), 'FeedService', feed.address, { [MetadataKeys.authorization]: `Bearer ${TOKEN}`, [MetadataKeys.caller]: 'gateway' });
});

afterAll(async () => {
  client?.close();
  await feed?.close();
  await topology?.stop();
});

describe(`feed refuses requests over ${SERVICE_MESSAGE_LIMITS.feed.receiveBytes} bytes`, () => {
  it('answers RESOURCE_EXHAUSTED to a GetFeed with a 64 KB cursor, before its handler', async () => {
    expect(await getFeed(64 * 1024)).toMatch(/^RESOURCE_EXHAUSTED: .*(larger than max|message length)/i);
  });

  it('lets a 12 KB request through to the handler (which refuses the cursor itself)', async () => {
    const underLimit = await getFeed(12 * 1024);
    expect(underLimit).not.toMatch(/^RESOURCE_EXHAUSTED/);
    expect(underLimit).toMatch(/^INVALID_ARGUMENT: /);
  });
});
