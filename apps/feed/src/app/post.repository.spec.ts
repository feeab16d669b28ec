import { toPost } from './post.repository';

describe('toPost', () => {
  it('reads the hash upload writes', () => {
    expect(
      toPost('p1', {
        id: 'p1',
        author: 'alice',
        caption: 'hi',
        createdAtMs: '1700000000000',
        width: '800',
        height: '600',
        contentType: 'image/webp',
        thumbnailWidth: '320',
        thumbnailHeight: '240',
      }),
    ).toEqual({ id: 'p1', author: 'alice', caption: 'hi', createdAtMs: '1700000000000', width: 800, height: 600, contentType: 'image/webp', thumbnailWidth: 320, thumbnailHeight: 240 });
  });

  it('is undefined for a missing post and tolerates missing or malformed fields', () => {
    expect(toPost('gone', {})).toBeUndefined();
    expect(toPost('p2', { author: 'bob', width: 'wide', createdAtMs: '-3' })).toEqual({
      id: 'p2',
      author: 'bob',
      caption: '',
      createdAtMs: '0',
      width: 0,
      height: 0,
      contentType: '',
      thumbnailWidth: 0,
      thumbnailHeight: 0,
    });
  });
});
