/**
 * A bounded least-recently-used map: `get` refreshes an entry, `set` evicts the oldest entries
 * beyond `maxEntries`. Backed by a Map (insertion order), O(1) per operation.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, V>();

  /** @param maxEntries entries kept at most (integer >= 1). */
  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`LruCache maxEntries must be an integer >= 1; got ${String(maxEntries)}`);
  }

  /** Entries held. */
  get size(): number {
    return this.entries.size;
  }

  /** The value of `key` (and marks it most recently used), or undefined. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** True when `key` is held (does not refresh it). */
  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Forgets `key` (no-op when absent). */
  delete(key: K): void {
    this.entries.delete(key);
  }

  /** Stores `value` as the most recently used, evicting the least recently used beyond the bound. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as K;
      this.entries.delete(oldest);
    }
  }
}
