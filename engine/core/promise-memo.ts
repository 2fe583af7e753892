/**
 * A bounded memo of asynchronous results by key: concurrent calls for one key share one computation, a
 * failed computation (and a result `keep` refuses) is not remembered, and at most `maxEntries` results are
 * held, the least recently used dropped first. Lives in whatever creates it (no module state).
 */

/** The memo; see {@link createPromiseMemo}. */
export interface PromiseMemo<V> {
  /** The remembered result of `key`, else `compute()`'s (remembered once it settles as kept). */
  get(key: string, compute: () => Promise<V>): Promise<V>;
  /** Forgets every key `test` accepts. */
  deleteWhere(test: (key: string) => boolean): void;
  /** How many results are held (pending ones included). */
  size(): number;
}

/**
 * Creates the memo. `maxEntries` must be an integer >= 1 (callers check it and name their own setting).
 * @param keep whether a settled result stays remembered (default: every one).
 */
export function createPromiseMemo<V>(maxEntries: number, keep: (value: V) => boolean = () => true): PromiseMemo<V> {
  // Map order is insertion order: re-inserting on a hit keeps the least recently used first.
  const entries = new Map<string, Promise<V>>();
  return {
    get(key, compute) {
      const hit = entries.get(key);
      if (hit) {
        entries.delete(key);
        entries.set(key, hit);
        return hit;
      }
      const value = compute();
      entries.set(key, value);
      const drop = () => {
        if (entries.get(key) === value) entries.delete(key);
      };
      value.then((settled) => {
        if (!keep(settled)) drop();
      }, drop);
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
      return value;
    },
    deleteWhere(test) {
      for (const key of [...entries.keys()]) if (test(key)) entries.delete(key);
    },
    size: () => entries.size,
  };
}
