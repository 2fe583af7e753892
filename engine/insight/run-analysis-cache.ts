/**
 * A bounded memo of completed runs' analyses (underwater curve, buy-and-hold benchmark, rolling risk),
 * so a run page view does not load every candle of the run's period again. A completed run's equity
 * curve never changes, so neither does its analysis; a deleted run is forgotten. Lives in the engine
 * instance that creates it (no module state).
 */
import { createPromiseMemo } from '../core/promise-memo';
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
  const memo = createPromiseMemo<RunAnalysis | null>(maxEntries, (analysis) => analysis !== null);
  const keyOf = (runId: string, window: number) => JSON.stringify([runId, window]);
  return {
    get: (runId, window, compute) => memo.get(keyOf(runId, window), compute),
    forget(runId) {
      memo.deleteWhere((key) => (JSON.parse(key) as [string, number])[0] === runId);
    },
    size: () => memo.size(),
  };
}
