import { Injectable } from '@nestjs/common';
import { int64ToNumber, type LikeRequest, type LikesMethods, type PostCountOutput } from '@failsoft/contracts';
import { Sidecar, type ServiceClient, type TypedClient } from '@failsoft/sidecar';
import { InjectSidecarClient } from '@failsoft/sidecar/nest';
import { mapUpstreamError } from '../errors/upstream-error.mapper';

/** Deadline of a Counts call: it only enriches reads, so it must never hold them up. */
export const COUNTS_TIMEOUT_MS = 400;

/** The like state after a like or unlike. */
export interface LikeState {
  readonly postId: string;
  readonly likeCount: number;
  readonly liked: boolean;
}

const LIKES_CONTEXT = { part: 'likes', what: 'likes are' } as const;

/**
 * The gateway's use of the likes service (through the sidecar): Like/Unlike for writes (errors
 * mapped to API errors: 503 + Retry-After while likes is down), Counts for enriching reads (never
 * fails: `undefined` means "unknown right now" and the caller reports `degraded: ["likes"]`).
 */
@Injectable()
export class LikesService {
  private readonly likes: TypedClient<LikesMethods>;

  /** @param client the sidecar client of `likes`; @param sidecar for its logger. */
  constructor(
    @InjectSidecarClient('likes') client: ServiceClient,
    private readonly sidecar: Sidecar,
  ) {
    this.likes = client.typed<LikesMethods>();
  }

  /** Makes `user` like `postId` (idempotent; once per `idempotencyKey` when given). @throws ApiError (503 while likes is down). */
  like(user: string, postId: string, idempotencyKey?: string): Promise<LikeState> {
    return this.write('Like', { userId: user, postId, idempotencyKey: idempotencyKey ?? '' });
  }

  /** Makes `user` not like `postId` (idempotent; once per `idempotencyKey` when given). @throws ApiError (503 while likes is down). */
  unlike(user: string, postId: string, idempotencyKey?: string): Promise<LikeState> {
    return this.write('Unlike', { userId: user, postId, idempotencyKey: idempotencyKey ?? '' });
  }

  /**
   * Like counts (and `likedByViewer` when `viewer` is set) of `postIds`, by post id; `undefined`
   * when likes cannot answer in COUNTS_TIMEOUT_MS (down, breaker open, slow, or any error).
   */
  async counts(postIds: readonly string[], viewer?: string): Promise<Map<string, PostCountOutput> | undefined> {
    if (postIds.length === 0) return new Map();
    try {
      const response = await this.likes.Counts(
        { postIds: [...new Set(postIds)], viewerId: viewer ?? '' },
        { timeoutMs: COUNTS_TIMEOUT_MS, fallback: () => null },
      );
      if (response === null) return undefined;
      return new Map(response.counts.map((count) => [count.postId, count]));
    } catch (error) {
      this.sidecar.logger.warn('likes Counts failed; serving without fresh counts', { error: String(error) });
      return undefined;
    }
  }

  private async write(method: 'Like' | 'Unlike', request: LikeRequest): Promise<LikeState> {
    try {
      const response = await this.likes[method](request);
      return { postId: response.postId || String(request.postId), likeCount: int64ToNumber(response.count, 'count'), liked: response.liked };
    } catch (error) {
      throw mapUpstreamError(error, LIKES_CONTEXT);
    }
  }
}
