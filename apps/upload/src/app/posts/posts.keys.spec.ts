import { POST_ID_PATTERN, imageKey, imageMetaKey, isPostId, newPostId, postKey } from './posts.keys';

describe('post ids', () => {
  it('are "p_" + 16 base32 characters, and distinct', () => {
    const ids = Array.from({ length: 2000 }, () => newPostId());
    for (const id of ids) expect(id).toMatch(POST_ID_PATTERN);
    expect(new Set(ids).size).toBe(ids.length);
    // every base32 character shows up: the encoder uses the whole alphabet
    expect(new Set(ids.join('').replace(/p_/g, '')).size).toBe(32);
  });

  it('builds the documented key layout from a valid id', () => {
    const id = 'p_abcdefgh234567ab';
    expect(isPostId(id)).toBe(true);
    expect(postKey(id)).toBe('failsoft:post:p_abcdefgh234567ab');
    expect(imageKey(id, 'original')).toBe('failsoft:image:p_abcdefgh234567ab:original');
    expect(imageKey(id, 'thumbnail')).toBe('failsoft:image:p_abcdefgh234567ab:thumbnail');
    expect(imageMetaKey(id)).toBe('failsoft:image:p_abcdefgh234567ab:meta');
  });

  it.each(['', '../p_abcdefgh234567ab', 'p_abcdefgh234567a/', 'p_ABCDEFGH234567AB', 'p_abcdefgh234567ab0', 'p_*', 'p_abcdefgh23456%2e'])(
    'refuses to build a key from %j',
    (id) => {
      expect(isPostId(id)).toBe(false);
      expect(() => postKey(id)).toThrow(TypeError);
      expect(() => imageKey(id, 'original')).toThrow(/malformed post id/);
      expect(() => imageMetaKey(id)).toThrow(TypeError);
    },
  );
});
