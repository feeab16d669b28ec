import { Metadata, status } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import {
  CONTRACT_LIMITS,
  MAX_GRPC_MESSAGE_BYTES,
  feedServiceDefinition,
  likesServiceDefinition,
  uploadServiceDefinition,
  type CountsRequestOutput,
  type CountsResponse,
  type CreatePostRequestOutput,
  type CreatePostResponse,
  type DeletePostRequestOutput,
  type DeletePostResponse,
  type GetFeedRequestOutput,
  type GetFeedResponse,
  type GetImageRequestOutput,
  type GetPostRequestOutput,
  type GetTrendingResponse,
  type Image,
  type ImageChunk,
  type LikeRequestOutput,
  type LikeResponse,
  type Post,
  type LikesMethods,
  ERROR_CODE_METADATA_KEY,
} from '@failsoft/contracts';
import { GrpcError, Sidecar, type HandlerContext, type ResponseStream, type ServiceHandlers, type ServiceClient, type SidecarServer } from '@failsoft/sidecar';
import type { ServiceDefinition } from '@grpc/grpc-js';

/** `p_` + 16 characters a-z or 2-7, unique per `n` (the shape of the upload service's post ids). */
export function fakePostId(n: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let out = '';
  for (let rest = n, i = 0; i < 16; i++, rest = Math.floor(rest / 32)) out = alphabet[rest % 32] + out;
  return `p_${out}`;
}

/**
 * Small but real upstreams for the gateway's specs: upload, likes and feed as `SidecarServer`s in
 * the spec process, implementing the contracts over in-memory data, registered in a real Redis so
 * the gateway finds them by discovery exactly as in production. Parts can be stopped gracefully
 * (drain + deregister), crashed (gRPC server gone, registration left behind, like a SIGKILLed
 * process whose entry has not expired), restarted, and run with an extra hung instance.
 */

/** One stored post. */
export interface StoredPost {
  readonly post: Required<Pick<Post, 'id' | 'author' | 'caption' | 'width' | 'height' | 'contentType' | 'thumbnailWidth' | 'thumbnailHeight'>> & { createdAtMs: number };
  readonly image: Buffer;
}

/** The platform's shared in-memory data (what Redis holds in production). */
export interface FakeData {
  readonly posts: Map<string, StoredPost>;
  /** Post ids, oldest first. */
  readonly order: string[];
  /** postId -> users liking it. */
  readonly likes: Map<string, Set<string>>;
  /** (author|key) -> post id, the upload's idempotency records. */
  readonly idempotency: Map<string, string>;
  /** What the last CreatePost received: its idempotency keys (request field and call metadata). */
  lastCreate?: { requestKey: string; metadataKey: string | undefined };
  /** The idempotency key of the last Like/Unlike ('' when none was sent). */
  lastLikeKey?: string;
}

/** A part of the platform. */
export type PartName = 'upload' | 'likes' | 'feed';

/** Options of the fake platform. */
export interface FakePlatformOptions {
  /** Redis port of the registry (the topology's master). */
  readonly redisPort: number;
  /** Shared token of internal calls. */
  readonly token: string;
  /** The upload's size cap in bytes. */
  readonly uploadMaxBytes: number;
}


/** Fails a call the way the real services do: INVALID_ARGUMENT / NOT_FOUND with a machine code in the trailers. */
function refuse(code: status, machineCode: string, message: string): GrpcError {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_METADATA_KEY, machineCode);
  return new GrpcError(code, message, message, metadata);
}

/** Detects an image type by its bytes (never by a name), like the upload service. */
export function sniffImage(bytes: Buffer): { contentType: string; width: number; height: number } | undefined {
  if (bytes.length >= 24 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return { contentType: 'image/png', width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { contentType: 'image/jpeg', width: 1, height: 1 };
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(bytes.subarray(0, 6).toString('latin1'))) return { contentType: 'image/gif', width: 1, height: 1 };
  if (bytes.length >= 12 && bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') {
    return { contentType: 'image/webp', width: 1, height: 1 };
  }
  return undefined;
}

/** A running instance of a part. */
interface RunningPart {
  readonly sidecar: Sidecar;
  readonly server: SidecarServer;
}

/** The fake platform: data plus controllable parts. */
export class FakePlatform {
  /** The shared data. */
  readonly data: FakeData = { posts: new Map(), order: [], likes: new Map(), idempotency: new Map() };
  /** StreamImage calls: running, and how many of them wait for a write to be taken (backpressure reached upload). */
  readonly imageStreams = { running: 0, blocked: 0 };
  private readonly redisClients: Redis[] = [];
  private readonly running = new Map<string, RunningPart>();
  private started = 0;
  private lastCreatedAt = 0;

  /** @param options registry, token and upload cap. */
  constructor(private readonly options: FakePlatformOptions) {}

  /** Starts one instance of `part` (name it with `instance` to run several), registered in discovery. */
  async start(part: PartName, instance: string = part, behaviour: { hang?: boolean } = {}): Promise<void> {
    if (this.running.has(instance)) throw new Error(`${instance} is already running`);
    const sidecar = new Sidecar({
      service: part,
      instanceId: `${instance}-${++this.started}`,
      auth: { token: this.options.token },
      redis: this.redis(),
      logLevel: 'error',
      faultInjection: false,
      discovery: { ttlMs: 3000, heartbeatMs: 500 },
    });
    const server = sidecar.server({
      port: 0,
      host: '127.0.0.1',
      drainTimeoutMs: 1000,
      grpcOptions: { 'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES, 'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES },
    });
    const [definition, handlers] = this.partOf(part, sidecar);
    server.addService(definition, behaviour.hang ? hung(handlers) : handlers);
    this.running.set(instance, { sidecar, server });
    await sidecar.start();
    await server.start();
  }

  /** Stops an instance gracefully: it drains and deregisters (discovery shows it gone at once). */
  async stop(instance: string): Promise<void> {
    const part = this.running.get(instance);
    this.running.delete(instance);
    await part?.sidecar.shutdown();
  }

  /**
   * Crashes an instance: its gRPC server disappears, its registration stays (like a SIGKILLed
   * process before its entry expires), so callers get connection errors. `stop()` cleans up.
   */
  async crash(instance: string): Promise<void> {
    const part = this.running.get(instance);
    if (part === undefined) throw new Error(`${instance} is not running`);
    await part.server.shutdown();
  }

  /** Stops everything and closes Redis connections. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.running.keys()].map((instance) => this.stop(instance)));
    for (const client of this.redisClients.splice(0)) client.disconnect();
  }

  private redis(): Redis {
    const client = new Redis({ host: '127.0.0.1', port: this.options.redisPort, maxRetriesPerRequest: 1, lazyConnect: false });
    client.on('error', () => undefined);
    this.redisClients.push(client);
    return client;
  }

  private partOf(part: PartName, sidecar: Sidecar): [ServiceDefinition, ServiceHandlers] {
    if (part === 'upload') return [uploadServiceDefinition(), this.uploadHandlers()];
    if (part === 'likes') return [likesServiceDefinition(), this.likesHandlers()];
    const likes = sidecar.client({ service: 'likes', definition: likesServiceDefinition(), idempotentMethods: ['Counts'], timeoutMs: 300 });
    return [feedServiceDefinition(), this.feedHandlers(likes)];
  }

  private uploadHandlers(): ServiceHandlers {
    const data = this.data;
    const maxBytes = this.options.uploadMaxBytes;
    return {
      CreatePost: async (request: CreatePostRequestOutput, ctx: HandlerContext): Promise<CreatePostResponse> => {
        const [metadataKey] = ctx.metadata.get('x-idempotency-key');
        data.lastCreate = { requestKey: request.idempotencyKey, metadataKey: metadataKey === undefined ? undefined : String(metadataKey) };
        if (request.author === '') throw new GrpcError(status.INVALID_ARGUMENT, 'author is required');
        const recordKey = `${request.author}|${request.idempotencyKey}`;
        const earlier = request.idempotencyKey === '' ? undefined : data.idempotency.get(recordKey);
        if (earlier !== undefined) return { post: toPost(data.posts.get(earlier) as StoredPost), replayed: true };
        if (request.image.length === 0) throw refuse(status.INVALID_ARGUMENT, 'EMPTY', 'the file is empty. Accepted: JPEG, PNG, WebP or GIF images.');
        if (request.image.length > maxBytes) throw refuse(status.INVALID_ARGUMENT, 'TOO_LARGE', `the image is larger than ${maxBytes} bytes.`);
        if (request.caption.length > 300) throw refuse(status.INVALID_ARGUMENT, 'BAD_CAPTION', 'the caption is longer than 300 characters.');
        const sniffed = sniffImage(request.image);
        if (sniffed === undefined) throw refuse(status.INVALID_ARGUMENT, 'UNSUPPORTED_TYPE', 'the file is not an image of an accepted type. Accepted: JPEG, PNG, WebP or GIF images.');
        const createdAtMs = Math.max(Date.now(), this.lastCreatedAt + 1);
        this.lastCreatedAt = createdAtMs;
        const id = fakePostId(data.order.length + 1); // the shape of the upload service's ids: p_ + 16 of a-z2-7
        const stored: StoredPost = {
          post: { id, author: request.author, caption: request.caption, createdAtMs, ...sniffed, thumbnailWidth: sniffed.width, thumbnailHeight: sniffed.height },
          image: Buffer.from(request.image),
        };
        data.posts.set(id, stored);
        data.order.push(id);
        if (request.idempotencyKey !== '') data.idempotency.set(recordKey, id);
        return { post: toPost(stored), replayed: false };
      },
      GetPost: async (request: GetPostRequestOutput): Promise<Post> => toPost(this.stored(request.postId)),
      DeletePost: async (request: DeletePostRequestOutput): Promise<DeletePostResponse> => {
        const stored = this.stored(request.postId);
        if (stored.post.author !== request.author) throw refuse(status.PERMISSION_DENIED, 'NOT_AUTHOR', `post ${request.postId} was posted by another user; only its author may delete it`);
        // what the real delete does in one script, and the feed then drops from its timeline
        data.posts.delete(request.postId);
        data.order.splice(data.order.indexOf(request.postId), 1);
        return { postId: request.postId };
      },
      GetImage: async (request: GetImageRequestOutput): Promise<Image> => {
        const stored = this.stored(request.postId);
        return { contentType: stored.post.contentType, data: stored.image, width: stored.post.width, height: stored.post.height };
      },
      // as the upload service does: the header, then chunks of at most 64 KiB, each written once the previous one drained
      StreamImage: async (request: GetImageRequestOutput, _ctx: HandlerContext, stream: ResponseStream<ImageChunk>): Promise<void> => {
        const stored = this.stored(request.postId);
        const { contentType, width, height } = stored.post;
        const counts = this.imageStreams;
        const write = async (message: ImageChunk): Promise<void> => {
          counts.blocked++;
          try {
            await stream.write(message);
          } finally {
            counts.blocked--;
          }
        };
        counts.running++;
        try {
          await write({ header: { contentType, size: stored.image.length, width, height, etag: `"${stored.post.id}"` } });
          for (let start = 0; start < stored.image.length; start += CONTRACT_LIMITS.imageChunkMaxBytes) {
            await write({ data: stored.image.subarray(start, start + CONTRACT_LIMITS.imageChunkMaxBytes) });
          }
        } finally {
          counts.running--;
        }
      },
    };
  }

  private stored(postId: string): StoredPost {
    const stored = this.data.posts.get(postId);
    if (stored === undefined) throw refuse(status.NOT_FOUND, 'NOT_FOUND', `post ${postId} not found`);
    return stored;
  }

  private likesHandlers(): ServiceHandlers {
    const likes = this.data.likes;
    const state = (userId: string, postId: string): LikeResponse => ({ postId, count: likes.get(postId)?.size ?? 0, liked: likes.get(postId)?.has(userId) ?? false });
    const check = (request: LikeRequestOutput) => {
      if (request.userId === '' || request.postId === '') throw new GrpcError(status.INVALID_ARGUMENT, 'userId and postId are required');
    };
    return {
      Like: async (request: LikeRequestOutput): Promise<LikeResponse> => {
        check(request);
        this.data.lastLikeKey = request.idempotencyKey;
        const users = likes.get(request.postId) ?? new Set<string>();
        users.add(request.userId);
        likes.set(request.postId, users);
        return state(request.userId, request.postId);
      },
      Unlike: async (request: LikeRequestOutput): Promise<LikeResponse> => {
        check(request);
        this.data.lastLikeKey = request.idempotencyKey;
        likes.get(request.postId)?.delete(request.userId);
        return state(request.userId, request.postId);
      },
      Counts: async (request: CountsRequestOutput): Promise<CountsResponse> => ({
        counts: [...new Set(request.postIds)].map((postId) => ({
          postId,
          count: likes.get(postId)?.size ?? 0,
          ...(request.viewerId === '' ? {} : { likedByViewer: likes.get(postId)?.has(request.viewerId) ?? false }),
        })),
      }),
    };
  }

  private feedHandlers(likes: ServiceClient): ServiceHandlers {
    const data = this.data;
    return {
      GetFeed: async (request: GetFeedRequestOutput): Promise<GetFeedResponse> => {
        if (request.limit > 100) throw new GrpcError(status.INVALID_ARGUMENT, 'limit must be at most 100');
        let offset = 0;
        if (request.cursor !== '') {
          const match = /^o([0-9]{1,6})$/.exec(request.cursor);
          if (match === null) throw new GrpcError(status.INVALID_ARGUMENT, 'the cursor is not one this feed returned');
          offset = Number(match[1]);
        }
        const limit = request.limit === 0 ? 20 : request.limit;
        const newestFirst = [...data.order].reverse();
        const page = newestFirst.slice(offset, offset + limit);
        const counts = await likes.typed<LikesMethods>().Counts({ postIds: page, viewerId: request.viewerId }, { fallback: () => null });
        const byId = new Map(counts?.counts.map((c) => [c.postId, c]) ?? []);
        return {
          items: page.map((id) => {
            const count = byId.get(id);
            return {
              post: toPost(data.posts.get(id) as StoredPost),
              ...(count === undefined ? {} : { likeCount: count.count, likeCountStale: false }),
              ...(count?.likedByViewer === undefined ? {} : { likedByViewer: count.likedByViewer }),
            };
          }),
          nextCursor: offset + limit < newestFirst.length ? `o${offset + limit}` : '',
          degraded: counts === null ? ['likes'] : [],
        };
      },
      GetTrending: async (): Promise<GetTrendingResponse> => ({
        items: [...data.order]
          .sort((a, b) => (data.likes.get(b)?.size ?? 0) - (data.likes.get(a)?.size ?? 0))
          .slice(0, 10)
          .map((id) => ({ post: toPost(data.posts.get(id) as StoredPost), likeCount: data.likes.get(id)?.size ?? 0, score: data.likes.get(id)?.size ?? 0 })),
        leaderInstanceId: 'feed-leader',
        fencingToken: '7',
        computedAtMs: Date.now(),
      }),
    };
  }
}

function toPost(stored: StoredPost): Post {
  return { ...stored.post };
}

/** Handlers that never answer (a hung instance): they wait until the call is cancelled or its deadline passes. */
function hung(handlers: ServiceHandlers): ServiceHandlers {
  return Object.fromEntries(
    Object.keys(handlers).map((name) => [
      name,
      (_request: unknown, ctx: HandlerContext) =>
        new Promise<never>((_, reject) => {
          const fail = () => reject(new GrpcError(status.CANCELLED, 'gave up'));
          if (ctx.signal.aborted) fail();
          else ctx.signal.addEventListener('abort', fail, { once: true });
        }),
    ]),
  );
}
