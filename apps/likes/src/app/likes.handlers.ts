import { Injectable } from '@nestjs/common';
import { likesServiceDefinition, type CountsRequestOutput, type CountsResponse, type LikeRequestOutput, type LikeResponse, type UnlikeRequestOutput, type LikesServiceHandlers } from '@failsoft/contracts';
import type { HandlerContext } from '@failsoft/sidecar';
import { SidecarHandlers } from '@failsoft/sidecar/nest';
import { LikesRepository } from './likes.repository';
import { assertId, assertPostIds, optionalIdempotencyKey, optionalViewerId } from './likes.validation';
import { toStateError } from './state-unavailable.error';

/**
 * gRPC handlers of `failsoft.likes.v1.LikesService`.
 *
 * - `Like` / `Unlike` are idempotent per (user, post), also under concurrent duplicates, and are
 *   answered only once the write is confirmed by the replicas (WAIT), so a failover never loses
 *   an acknowledged like. When that confirmation fails the answer is UNAVAILABLE (`NOT_DURABLE`):
 *   the outcome is unknown and the caller may retry. A write is applied only while its call's
 *   deadline has not passed by Redis' clock (see LikesRepository): an attempt its caller gave up
 *   on never lands late, after a newer like/unlike of the same user (DEADLINE_EXCEEDED instead).
 * - With an `idempotency_key`, a Like/Unlike is applied once per (user, key) for
 *   LIKE_KEY_TTL_SECONDS: a copy delivered late (a frozen front door resumed, after the client had
 *   resent the request and moved on) writes nothing; a key reused for another operation is
 *   INVALID_ARGUMENT `IDEMPOTENCY_KEY_REUSED`.
 * - `Counts` reads a batch of at most `CONTRACT_LIMITS.countsBatchMax` posts in one pipeline.
 * - Ids are validated (1-128 characters of letters, digits and `. _ : @ -`); bad input gets
 *   INVALID_ARGUMENT naming the field and changes nothing.
 * - Whether a post exists is NOT checked here: that is the gateway's business (it checks the post
 *   with upload before calling Like). Likes of an unknown post are stored like any other, and
 *   Counts answers 0 for posts nobody likes, known or not.
 */
@Injectable()
@SidecarHandlers(likesServiceDefinition())
export class LikesHandlers implements LikesServiceHandlers<HandlerContext> {
  constructor(private readonly repository: LikesRepository) {}

  /** Makes `user_id` like `post_id` (a no-op when it already does); answers the state after. */
  async Like(request: LikeRequestOutput, ctx: HandlerContext): Promise<LikeResponse> {
    const userId = assertId('user_id', request.userId);
    const postId = assertId('post_id', request.postId);
    const key = optionalIdempotencyKey(request.idempotencyKey);
    try {
      const state = await this.repository.like(userId, postId, ctx.deadline, key);
      return { postId, count: state.count, liked: true };
    } catch (error) {
      throw toStateError(error, 'Like');
    }
  }

  /** Makes `user_id` not like `post_id` (a no-op when it does not); answers the state after. */
  async Unlike(request: UnlikeRequestOutput, ctx: HandlerContext): Promise<LikeResponse> {
    const userId = assertId('user_id', request.userId);
    const postId = assertId('post_id', request.postId);
    const key = optionalIdempotencyKey(request.idempotencyKey);
    try {
      const state = await this.repository.unlike(userId, postId, ctx.deadline, key);
      return { postId, count: state.count, liked: false };
    } catch (error) {
      throw toStateError(error, 'Unlike');
    }
  }

  /**
   * Counts of a batch of posts: one entry per distinct id, in request order; `liked_by_viewer`
   * only when `viewer_id` is set.
   */
  async Counts(request: CountsRequestOutput, _ctx: HandlerContext): Promise<CountsResponse> {
    const postIds = assertPostIds(request.postIds);
    const viewerId = optionalViewerId(request.viewerId);
    try {
      return { counts: await this.repository.counts(postIds, viewerId) };
    } catch (error) {
      throw toStateError(error, 'Counts');
    }
  }
}
