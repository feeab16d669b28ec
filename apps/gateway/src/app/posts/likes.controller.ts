import { Controller, Delete, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { SignedInGuard } from '../auth/signed-in.guard';
import type { GatewayRequest } from '../common/gateway-request';
import { postIdParam } from '../common/json-input';
import { notFound } from '../errors/api-error';
import { WriteRateLimitGuard } from '../rate-limit/write-rate-limit.guard';
import { LikesService, type LikeState } from './likes.service';
import { PostsService } from './posts.service';

/** `POST` / `DELETE /api/posts/:id/likes`: the signed-in user likes or unlikes a post (idempotent). */
@Controller('api/posts')
export class LikesController {
  /** @param likes the likes facade; @param posts to refuse unknown posts. */
  constructor(
    private readonly likes: LikesService,
    private readonly posts: PostsService,
  ) {}

  /** Likes the post: `{"postId","likeCount","liked":true}`; 503 + Retry-After while likes is down. */
  @Post(':id/likes')
  @HttpCode(200)
  @UseGuards(SignedInGuard, WriteRateLimitGuard)
  async like(@Param('id') id: string | undefined, @Req() request: GatewayRequest): Promise<LikeState> {
    const postId = await this.knownPost(id);
    return this.likes.like(request.user as string, postId);
  }

  /** Unlikes the post: `{"postId","likeCount","liked":false}`; 503 + Retry-After while likes is down. */
  @Delete(':id/likes')
  @HttpCode(200)
  @UseGuards(SignedInGuard, WriteRateLimitGuard)
  async unlike(@Param('id') id: string | undefined, @Req() request: GatewayRequest): Promise<LikeState> {
    const postId = await this.knownPost(id);
    return this.likes.unlike(request.user as string, postId);
  }

  /** The validated id of an existing post (404 when upload says it does not exist; goes ahead when upload cannot say). */
  private async knownPost(id: string | undefined): Promise<string> {
    const postId = postIdParam(id);
    if ((await this.posts.exists(postId)) === 'no') throw notFound(`post ${postId} does not exist`);
    return postId;
  }
}
