import { VerifiedTokenCache } from './verified-token-cache';

/** The cache on its own: its window per entry and its bound. */
describe('VerifiedTokenCache', () => {
  it('serves an entry within its window, both ends included, and drops it after', () => {
    const cache = new VerifiedTokenCache<string>(10);
    cache.set('Bearer a', 'alice', 1_000, 5_000);
    expect(cache.get('Bearer a', 1_000)).toBe('alice');
    expect(cache.get('Bearer a', 5_000)).toBe('alice');
    expect(cache.get('Bearer a', 5_001)).toBeUndefined();
    // Gone for good: a clock moved back does not bring an expired entry back.
    expect(cache.get('Bearer a', 4_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('does not serve an entry before its window opens (nbf)', () => {
    const cache = new VerifiedTokenCache<string>(10);
    cache.set('Bearer a', 'alice', 2_000, 5_000);
    expect(cache.get('Bearer a', 1_999)).toBeUndefined();
  });

  it('serves only the exact key it stored', () => {
    const cache = new VerifiedTokenCache<string>(10);
    cache.set('Bearer header.payload.signature', 'alice', 0, 5_000);
    expect(cache.get('Bearer header.payload.signaturf', 1_000)).toBeUndefined();
    expect(cache.get('Bearer header.payload', 1_000)).toBeUndefined();
    expect(cache.get('Bearer header.payload.signature', 1_000)).toBe('alice');
  });

  it('holds at most maxEntries, dropping the least recently used first', () => {
    const cache = new VerifiedTokenCache<string>(2);
    cache.set('a', 'A', 0, 10_000);
    cache.set('b', 'B', 0, 10_000);
    // A hit makes `a` the most recently used: `b` goes when `c` comes.
    expect(cache.get('a', 1)).toBe('A');
    cache.set('c', 'C', 0, 10_000);
    expect(cache.size).toBe(2);
    expect(cache.get('b', 1)).toBeUndefined();
    expect(cache.get('a', 1)).toBe('A');
    expect(cache.get('c', 1)).toBe('C');
  });

  it('keeps nothing with maxEntries 0 (verification on every request)', () => {
    const cache = new VerifiedTokenCache<string>(0);
    cache.set('a', 'A', 0, 10_000);
    expect(cache.size).toBe(0);
    expect(cache.get('a', 1)).toBeUndefined();
  });
});
