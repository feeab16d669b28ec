import { Controller, Delete, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { SignedInGuard } from '../auth/signed-in.guard';
import type { GatewayRequest, GatewayResponse } from '../common/gateway-request';
import { idempotencyKeyOf } from '../common/idempotency-key';
import { postIdParam } from '../common/json-input';
import { notFound } from '../errors/api-error';
import { WriteRateLimit } from '../rate-limit/write-rate-limit';
import { LikesService, type LikeState } from './likes.service';
import { PostsService } from './posts.service';

/** `POST` / `DELETE /api/posts/:id/likes`: the signed-in user likes or unlikes a post (idempotent). */
@Controller('api/posts')
export class LikesController {
  /** @param likes the likes facade; @param posts to refuse unknown posts; @param writeLimit the per-user write limit. */
  constructor(
    private readonly likes: LikesService,
    private readonly posts: PostsService,
    private readonly writeLimit: WriteRateLimit,
  ) {}

  /**
   * Likes the post: `{"postId","likeCount","liked":true}`; 503 + Retry-After while likes is down.
   * `Idempotency-Key` (optional, as for creating a post): a second request of the user with the
   * same key writes nothing again (a late copy of a request the client already resent cannot undo
   * a newer unlike); the same key for another operation is 422 `IDEMPOTENCY_KEY_REUSED`.
   */
  @Post(':id/likes')
  @HttpCode(200)
  @UseGuards(SignedInGuard)
  async like(@Param('id') id: string | undefined, @Req() request: GatewayRequest, @Res({ passthrough: true }) response: GatewayResponse): Promise<LikeState> {
    const key = idempotencyKeyOf(request);
    const postId = await this.knownPost(id, request, response);
    return this.likes.like(request.user as string, postId, key);
  }

  /** Unlikes the post: `{"postId","likeCount","liked":false}`; 503 + Retry-After while likes is down; `Idempotency-Key` as for a like. */
  @Delete(':id/likes')
  @HttpCode(200)
  @UseGuards(SignedInGuard)
  async unlike(@Param('id') id: string | undefined, @Req() request: GatewayRequest, @Res({ passthrough: true }) response: GatewayResponse): Promise<LikeState> {
    const key = idempotencyKeyOf(request);
    const postId = await this.knownPost(id, request, response);
    return this.likes.unlike(request.user as string, postId, key);
  }

  /**
   * The validated id of an existing post (404 when upload says it does not exist; goes ahead when
   * upload cannot say). The write is charged to the user's limit once the id is valid, not before.
   */
  private async knownPost(id: string | undefined, request: GatewayRequest, response: GatewayResponse): Promise<string> {
    const postId = postIdParam(id);
    await this.writeLimit.charge(request, response);
    if ((await this.posts.exists(postId)) === 'no') throw notFound(`post ${postId} does not exist`);
    return postId;
  }
}
