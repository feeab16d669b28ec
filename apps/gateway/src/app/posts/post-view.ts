import { int64ToNumber, type FeedItemOutput, type PostCountOutput, type PostOutput } from '@failsoft/contracts';

/** A post as the public API shows it (feed items and `GET /api/posts/:id`). */
export interface PostView {
  readonly id: string;
  readonly author: string;
  readonly caption: string;
  /** Creation time, ISO 8601 (UTC). */
  readonly createdAt: string;
  /** Creation time, ms since the Unix epoch. */
  readonly createdAtMs: number;
  readonly width: number;
  readonly height: number;
  /** MIME type of the original image. */
  readonly contentType: string;
  readonly thumbnailWidth: number;
  readonly thumbnailHeight: number;
  /** URL of the original image (this gateway). */
  readonly imageUrl: string;
  /** URL of the thumbnail (this gateway). */
  readonly thumbnailUrl: string;
  /** Like count; `null` when unknown (likes unreachable and never seen). */
  readonly likeCount: number | null;
  /** True when `likeCount` is a last-seen value rather than a fresh one. */
  readonly likeCountStale: boolean;
  /** Whether the signed-in viewer likes the post; `null` when anonymous or unknown. */
  readonly likedByViewer: boolean | null;
}

/** Like information to merge into a PostView. */
export interface LikeInfo {
  readonly likeCount: number | null;
  readonly likeCountStale: boolean;
  readonly likedByViewer: boolean | null;
}

/** No like information at all. */
export const UNKNOWN_LIKES: LikeInfo = Object.freeze({ likeCount: null, likeCountStale: false, likedByViewer: null });

/** The PostView of a contract Post, with `likes`. */
export function postView(post: PostOutput, likes: LikeInfo = UNKNOWN_LIKES): PostView {
  const createdAtMs = safeInt(post.createdAtMs, 'createdAtMs') ?? 0;
  const path = `/api/posts/${encodeURIComponent(post.id)}/image`;
  return {
    id: post.id,
    author: post.author,
    caption: post.caption,
    createdAt: new Date(createdAtMs).toISOString(),
    createdAtMs,
    width: post.width,
    height: post.height,
    contentType: post.contentType,
    thumbnailWidth: post.thumbnailWidth,
    thumbnailHeight: post.thumbnailHeight,
    imageUrl: path,
    thumbnailUrl: `${path}?variant=thumbnail`,
    ...likes,
  };
}

/** The PostView of a feed item (items without a post are dropped by the caller). */
export function feedItemView(item: FeedItemOutput & { post: PostOutput }): PostView {
  const likeCount = item.likeCount === undefined ? null : safeInt(item.likeCount, 'likeCount');
  return postView(item.post, {
    likeCount,
    likeCountStale: likeCount !== null && item.likeCountStale,
    likedByViewer: item.likedByViewer ?? null,
  });
}

/** Like information of a post from a Counts answer. */
export function likeInfoOf(count: PostCountOutput | undefined): LikeInfo {
  if (count === undefined) return UNKNOWN_LIKES;
  return { likeCount: safeInt(count.count, 'count'), likeCountStale: false, likedByViewer: count.likedByViewer ?? null };
}

function safeInt(value: string | number, field: string): number | null {
  try {
    return int64ToNumber(value, field);
  } catch {
    return null;
  }
}
