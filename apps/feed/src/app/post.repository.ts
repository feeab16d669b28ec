import { Inject, Injectable } from '@nestjs/common';
import type { Post } from '@failsoft/contracts';
import type { StateRedis } from '@failsoft/state';
import { STATE_REDIS } from '@failsoft/state/nest';
import { FeedKeys } from './feed.keys';

/** A non-negative integer field of a post hash (0 when absent or malformed). */
function int(value: string | undefined): number {
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/** Converts a `failsoft:post:{id}` hash (as upload writes it) to a Post; undefined when the hash is empty. */
export function toPost(postId: string, hash: Record<string, string>): Post | undefined {
  if (Object.keys(hash).length === 0) return undefined;
  return {
    id: hash['id'] || postId,
    author: hash['author'] ?? '',
    caption: hash['caption'] ?? '',
    createdAtMs: String(int(hash['createdAtMs'])),
    width: int(hash['width']),
    height: int(hash['height']),
    contentType: hash['contentType'] ?? '',
    thumbnailWidth: int(hash['thumbnailWidth']),
    thumbnailHeight: int(hash['thumbnailHeight']),
  };
}

/** Reads posts from the `failsoft:post:{id}` hashes written by the upload service (read-only here). */
@Injectable()
export class PostRepository {
  constructor(@Inject(STATE_REDIS) private readonly redis: StateRedis) {}

  /** The posts that exist among `postIds`, by id, in one pipeline. @throws the Redis error. */
  async getMany(postIds: readonly string[]): Promise<Map<string, Post>> {
    const posts = new Map<string, Post>();
    if (postIds.length === 0) return posts;
    const pipeline = this.redis.pipeline();
    for (const id of postIds) pipeline.hgetall(FeedKeys.post(id));
    const replies = (await pipeline.exec()) ?? [];
    postIds.forEach((id, i) => {
      const [error, hash] = replies[i] ?? [new Error('no reply')];
      if (error) throw error;
      const post = toPost(id, hash as Record<string, string>);
      if (post !== undefined) posts.set(id, post);
    });
    return posts;
  }
}
