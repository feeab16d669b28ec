import { expectedLikes, likeVerdict, uncertainLikes, WriteLedger, type LikeOp } from './ledger';

const op = (like: boolean, acknowledged: boolean, user = 'alice', postId = 'p1'): LikeOp => ({ user, postId, like, acknowledged });

describe('expectedLikes (the lost-write checker on recorded ledgers)', () => {
  it('the last acknowledged op decides the final state', () => {
    expect(expectedLikes([op(true, true), op(false, true), op(true, true)])).toEqual({ certain: [{ user: 'alice', postId: 'p1', liked: true }], uncertain: 0 });
    expect(expectedLikes([op(true, true), op(false, true)]).certain).toEqual([{ user: 'alice', postId: 'p1', liked: false }]);
  });

  it('a failed op the same way as the last acknowledged one keeps the key certain (idempotent)', () => {
    expect(expectedLikes([op(true, true), op(true, false)]).certain).toEqual([{ user: 'alice', postId: 'p1', liked: true }]);
  });

  it('a failed or timed-out op the other way after the last acknowledged one makes the key uncertain', () => {
    expect(expectedLikes([op(true, true), op(false, false)])).toEqual({ certain: [], uncertain: 1 });
    expect(expectedLikes([op(true, true), op(false, false), op(true, false)])).toEqual({ certain: [], uncertain: 1 });
  });

  it('a later acknowledged op makes an uncertain key certain again', () => {
    expect(expectedLikes([op(true, true), op(false, false), op(true, true)]).certain).toEqual([{ user: 'alice', postId: 'p1', liked: true }]);
  });

  it('a key with no acknowledged op is uncertain', () => {
    expect(expectedLikes([op(true, false), op(false, false)])).toEqual({ certain: [], uncertain: 1 });
  });

  it('keeps keys apart by user and post', () => {
    const result = expectedLikes([op(true, true, 'alice', 'p1'), op(false, true, 'bob', 'p1'), op(true, true, 'alice', 'p2'), op(false, false, 'alice', 'p2')]);
    expect(result.certain).toEqual([
      { user: 'alice', postId: 'p1', liked: true },
      { user: 'bob', postId: 'p1', liked: false },
    ]);
    expect(result.uncertain).toBe(1);
  });
});

describe('uncertainLikes (what the read-back repeats to make a key certain)', () => {
  it('names each uncertain key with the direction of its last op, and no certain key', () => {
    const ops = [op(true, true, 'alice', 'p1'), op(false, false, 'alice', 'p1'), op(true, true, 'bob', 'p1'), op(true, false, 'carol', 'p2'), op(false, false, 'carol', 'p2')];
    expect(uncertainLikes(ops)).toEqual([
      { user: 'alice', postId: 'p1', like: false },
      { user: 'carol', postId: 'p2', like: false },
    ]);
    expect(uncertainLikes([op(true, true), op(true, false)])).toEqual([]);
  });
});

describe('likeVerdict', () => {
  it('judges a clean read', () => {
    expect(likeVerdict(true, { status: 200, likedByViewer: true, degraded: [] })).toBe('ok');
    expect(likeVerdict(true, { status: 200, likedByViewer: false, degraded: [] })).toBe('lost');
    expect(likeVerdict(false, { status: 200, likedByViewer: true, degraded: [] })).toBe('lost');
  });

  it('a degraded, unknown or failed read is no verdict', () => {
    expect(likeVerdict(true, { status: 200, likedByViewer: false, degraded: ['likes'] })).toBeNull();
    expect(likeVerdict(true, { status: 200, likedByViewer: null, degraded: [] })).toBeNull();
    expect(likeVerdict(true, { status: 503 })).toBeNull();
    expect(likeVerdict(true, { status: 0 })).toBeNull();
  });
});

describe('WriteLedger', () => {
  it('counts acknowledged writes', () => {
    const ledger = new WriteLedger();
    ledger.recordLike(op(true, true));
    ledger.recordLike(op(false, false));
    ledger.recordUpload({ user: 'bob', postId: 'p9', sha256: 'ab' });
    expect(ledger.acknowledged).toBe(2);
    expect(ledger.expectations()).toEqual({ certain: [], uncertain: 1 });
  });
});
