/**
 * A bounded memo of completed runs' analyses (underwater curve, buy-and-hold benchmark, rolling risk),
 * so a run page view does not load every candle of the run's period again. A completed run's equity
 * curve never changes, so neither does its analysis; a deleted run is forgotten. Lives in the engine
 * instance that creates it (no module state).
 */
import type { RunAnalysis } from './run-analysis';

/** The memo; see `createRunAnalysisCache`. */
export interface RunAnalysisCache {
  /**
   * The analysis of run `runId` over `window` equity points: the remembered one, else `compute()`'s.
   * Concurrent calls for one key share a computation. A null result (unknown run, or not complete yet)
   * and a failure are not remembered.
   */
  get(runId: string, window: number, compute: () => Promise<RunAnalysis | null>): Promise<RunAnalysis | null>;
  /** Forgets every analysis of run `runId` (deleted). */
  forget(runId: string): void;
  /** How many analyses are remembered. */
  size(): number;
}

/**
 * Creates the memo, holding at most `maxEntries` analyses (least recently used dropped first).
 * @throws RangeError when `maxEntries` is not a positive integer.
 */
export function createRunAnalysisCache(maxEntries: number): RunAnalysisCache {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  // Map order is insertion order: re-inserting on a hit keeps the least recently used first.
  const entries = new Map<string, { runId: string; analysis: Promise<RunAnalysis | null> }>();
  const keyOf = (runId: string, window: number) => JSON.stringify([runId, window]);
  return {
    get(runId, window, compute) {
      const key = keyOf(runId, window);
      const hit = entries.get(key);
      if (hit) {
        entries.delete(key);
        entries.set(key, hit);
        return hit.analysis;
      }
      const entry = { runId, analysis: compute() };
      entries.set(key, entry);
      const drop = () => {
        if (entries.get(key) === entry) entries.delete(key);
      };
      entry.analysis.then((analysis) => analysis === null && drop(), drop);
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      return entry.analysis;
    },
    forget(runId) {
      for (const [key, entry] of entries) if (entry.runId === runId) entries.delete(key);
    },
    size: () => entries.size,
  };
}
