import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SignedInGuard } from '../auth/signed-in.guard';
import { ViewerGuard } from '../auth/viewer.guard';
import { clientIp } from '../common/client-ip';
import { idempotencyKeyOf } from '../common/idempotency-key';
import type { GatewayRequest, GatewayResponse } from '../common/gateway-request';
import { postIdParam, queryParam } from '../common/json-input';
import { badRequest } from '../errors/api-error';
import { WriteRateLimit } from '../rate-limit/write-rate-limit';
import { LikesService } from './likes.service';
import { MultipartImageInterceptor } from './multipart-image.interceptor';
import { likeInfoOf, postView, UNKNOWN_LIKES, type PostView } from './post-view';
import { PostsService } from './posts.service';
import { ImageResponsesLimiter } from './image-responses.limiter';
import { sendImageStream, type ImageResponse } from './image-stream.sender';

/** Content types served for images (anything else is served as opaque bytes). */
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']);

/** Body of `POST /api/posts`. */
export interface CreatePostBody {
  readonly post: PostView;
  /** True when the Idempotency-Key had already created this post (nothing new was created). */
  readonly replayed: boolean;
}

/** Body of `GET /api/posts/:id`. */
export interface GetPostBody {
  readonly post: PostView;
  readonly degraded: readonly string[];
}

/** Posts: create (multipart), read, delete, and serve images. */
@Controller('api/posts')
export class PostsController {
  /** @param posts the upload facade; @param likes the likes facade; @param writeLimit the per-user write limit. */
  constructor(
    private readonly posts: PostsService,
    private readonly likes: LikesService,
    private readonly writeLimit: WriteRateLimit,
    private readonly imageResponses: ImageResponsesLimiter,
  ) {}

  /**
   * Creates a post from a multipart form (`image` file, optional `caption`), as the signed-in
   * user. `Idempotency-Key` (optional) makes retries safe: the same key and user yield one post
   * (`replayed: true` and `Idempotent-Replayed: true` on repeats). Without one, a key is made for
   * this request so the sidecar may still retry it on another upload instance. The write counts
   * against the user's rate limit once the form is valid.
   */
  @Post()
  @HttpCode(201)
  @UseGuards(SignedInGuard)
  @UseInterceptors(MultipartImageInterceptor)
  async create(@Req() request: GatewayRequest, @Res({ passthrough: true }) response: GatewayResponse): Promise<CreatePostBody> {
    const author = request.user as string;
    const idempotencyKey = idempotencyKeyOf(request) ?? `gw-${randomUUID()}`;
    const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
    const caption = body['caption'] ?? '';
    if (typeof caption !== 'string') throw badRequest('"caption" must be given once, as text', 'INVALID_FIELD', { field: 'caption' });
    const file = request.file;
    if (file === undefined || file.fieldname !== 'image') {
      throw badRequest('the form has no "image" file: send multipart/form-data with an "image" file field (JPEG, PNG, WebP or GIF)', 'MISSING_IMAGE', { field: 'image' });
    }
    // charged only now: a request the gateway refuses as invalid spends nothing of the user's budget
    await this.writeLimit.charge(request, response);
    const created = await this.posts.create({ author, caption, image: file.buffer, contentTypeHint: file.mimetype.slice(0, 100), idempotencyKey });
    response.setHeader('Location', `/api/posts/${encodeURIComponent(created.post.id)}`);
    response.setHeader('Idempotency-Key', idempotencyKey);
    if (created.replayed) response.setHeader('Idempotent-Replayed', 'true');
    const likes = created.replayed ? UNKNOWN_LIKES : { likeCount: 0, likeCountStale: false, likedByViewer: false };
    return { post: postView(created.post, likes), replayed: created.replayed };
  }

  /** A post with its like count (`degraded: ["likes"]` and `likeCount: null` while likes is down). */
  @Get(':id')
  @UseGuards(ViewerGuard)
  async get(@Param('id') id: string | undefined, @Req() request: GatewayRequest): Promise<GetPostBody> {
    const postId = postIdParam(id);
    const [post, counts] = await Promise.all([this.posts.get(postId), this.likes.counts([postId], request.user)]);
    return { post: postView(post, likeInfoOf(counts?.get(post.id))), degraded: counts === undefined ? ['likes'] : [] };
  }

  /**
   * Deletes a post of the signed-in user: 204 (no body); 403 `NOT_AUTHOR` for someone else's post,
   * 404 for an unknown or already deleted one. The write is charged to the user's limit once the id
   * is valid (a malformed id is 400 `INVALID_POST_ID` and spends nothing).
   */
  @Delete(':id')
  @HttpCode(204)
  @UseGuards(SignedInGuard)
  async delete(@Param('id') id: string | undefined, @Req() request: GatewayRequest, @Res({ passthrough: true }) response: GatewayResponse): Promise<void> {
    const postId = postIdParam(id);
    await this.writeLimit.charge(request, response);
    await this.posts.delete(postId, request.user as string);
  }

  /**
   * The image bytes of a post (`variant=original`, the default, or `thumbnail`), with their
   * content type and length, `X-Content-Type-Options: nosniff`, a sandboxing CSP, and a long
   * immutable cache lifetime (a post's images never change). Originals are streamed from upload
   * chunk by chunk as the client reads (see sendImageStream), bounded per gateway and per client
   * address (ImageResponsesLimiter; the slot is held until the response ends), and every image
   * response that stops progressing for IMAGE_SEND_TIMEOUT_MS (a client that does not read) is cut.
   * Errors before the first byte are the usual JSON errors.
   */
  @Get(':id/image')
  async image(
    @Param('id') id: string | undefined,
    @Query() query: Record<string, unknown>,
    @Req() request: GatewayRequest,
    @Res() response: GatewayResponse & ImageResponse & ImageResponseEvents,
  ): Promise<void> {
    const postId = postIdParam(id);
    const variant = queryParam(query, 'variant') ?? 'original';
    if (variant !== 'original' && variant !== 'thumbnail') {
      throw badRequest('query parameter "variant" must be "original" or "thumbnail"', 'INVALID_QUERY', { field: 'variant' });
    }
    response.setTimeout(this.imageResponses.sendTimeoutMs, () => response.destroy());
    if (variant === 'thumbnail') {
      const image = await this.posts.image(postId, 'THUMBNAIL');
      setImageHeaders(response, image.contentType, image.data.length);
      response.end(image.data);
      return;
    }
    const release = this.imageResponses.acquire(clientIp(request));
    const gone = new AbortController();
    response.once('close', () => {
      release();
      gone.abort();
    });
    const image = await this.posts.originalStream(postId, gone.signal);
    setImageHeaders(response, image.header.contentType, image.size);
    await sendImageStream(image, response);
  }
}

/** The headers of an image response. */
function setImageHeaders(response: GatewayResponse, contentType: string, length: number): void {
  response.setHeader('Content-Type', IMAGE_TYPES.has(contentType) ? contentType : 'application/octet-stream');
  response.setHeader('Content-Length', length);
  response.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  response.setHeader('Content-Disposition', 'inline');
}

/** What the image route uses of the raw (Node) response besides GatewayResponse and ImageResponse. */
interface ImageResponseEvents {
  setTimeout(ms: number, onTimeout: () => void): unknown;
}
