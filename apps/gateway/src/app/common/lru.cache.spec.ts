import { LruCache } from './lru.cache';

describe('LruCache', () => {
  it('evicts the least recently used entry beyond the bound; get refreshes, has does not', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3); // evicts b
    expect([cache.has('a'), cache.has('b'), cache.has('c'), cache.size]).toEqual([true, false, true, 2]);
    expect(cache.has('a')).toBe(true);
    cache.set('d', 4); // evicts a: order was a, c (has('a') did not refresh it)
    expect(['a', 'c', 'd'].map((k) => cache.has(k))).toEqual([false, true, true]);
  });

  it('replaces values in place and refuses a bound below 1', () => {
    const cache = new LruCache<string, number>(1);
    cache.set('a', 1);
    cache.set('a', 2);
    expect([cache.get('a'), cache.size]).toEqual([2, 1]);
    expect(() => new LruCache(0)).toThrow('LruCache maxEntries must be an integer >= 1; got 0');
  });
});
