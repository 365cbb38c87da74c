// Results of pure functions of a string, remembered across messages: a destination sees the same few hundred keys
// and event names over and over. Bounded, so hostile cardinality (a new key in every message) costs computing the
// result again, never memory: at most `max` results, all forgotten at once when full (cheaper per hit than an LRU);
// strings longer than `maxLength` are computed every time, never stored.

export interface Memo<T> {
  (s: string): T;
  /** How many results are stored (for tests). */
  readonly size: () => number;
}

export function memoize<T extends NonNullable<unknown>>(fn: (s: string) => T, max = 10_000, maxLength = 128): Memo<T> {
  const cache = new Map<string, T>();
  const memo = (s: string): T => {
    let v = cache.get(s);
    if (v === undefined) {
      v = fn(s);
      if (s.length <= maxLength) {
        if (cache.size >= max) cache.clear();
        cache.set(s, v);
      }
    }
    return v;
  };
  return Object.assign(memo, { size: () => cache.size });
}
