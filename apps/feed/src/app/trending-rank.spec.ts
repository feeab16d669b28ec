import { rankTrending } from './trending-rank';

const HOUR = 3_600_000;
const now = 1_700_000_000_000;

describe('rankTrending', () => {
  it('ranks by likes cooled down by age, leaves unliked posts out, and bounds the size', () => {
    const ranked = rankTrending(
      [
        { postId: 'old-popular', createdAtMs: now - 48 * HOUR, likeCount: 50 },
        { postId: 'new-liked', createdAtMs: now - HOUR, likeCount: 5 },
        { postId: 'new-unliked', createdAtMs: now, likeCount: 0 },
        { postId: 'newer-liked', createdAtMs: now, likeCount: 5 },
      ],
      now,
      10,
    );
    expect(ranked.map((r) => r.postId)).toEqual(['newer-liked', 'new-liked', 'old-popular']);
    expect(ranked[0].score).toBeGreaterThan(ranked[1].score);
    expect(rankTrending([{ postId: 'a', createdAtMs: now, likeCount: 1 }, { postId: 'b', createdAtMs: now, likeCount: 2 }], now, 1).map((r) => r.postId)).toEqual(['b']);
  });

  it('breaks ties by likes, then recency, then id, and treats future timestamps as new', () => {
    const ranked = rankTrending(
      [
        { postId: 'a', createdAtMs: now + HOUR, likeCount: 3 },
        { postId: 'b', createdAtMs: now, likeCount: 3 },
        { postId: 'c', createdAtMs: now, likeCount: 3 },
      ],
      now,
      10,
    );
    expect(ranked.map((r) => r.postId)).toEqual(['a', 'c', 'b']);
  });
});
