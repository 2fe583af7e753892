/**
 * Candle storage port (the `candles` table; db/repositories implement it, engine/testing has an in-memory one).
 * engine/ports holds every interface the engine needs from outside; it imports only engine/core and other ports.
 */
import type { CandleColumns, MarketKey } from '../core/types';

/** Summary of one stored candle stream, for the home page and health. */
export interface CandleStreamSummary extends MarketKey {
  count: number;
  firstOpenTimeMs: number;
  lastOpenTimeMs: number;
}

/** A run of missing candles inside a stored stream: none stored strictly between the two open times. */
export interface CandleGap {
  /** Open time of the last candle before the gap, epoch ms. */
  afterOpenTimeMs: number;
  /** Open time of the first candle after the gap, epoch ms. */
  beforeOpenTimeMs: number;
  /** Candles missing in between: (before - after) / timeframe - 1, >= 1. */
  missing: number;
}

/**
 * A stored stream with its coverage: `expectedCount` candles lie on the timeframe's grid from the
 * first to the last stored open time (both included); `missingCount = expectedCount - count`.
 */
export interface CandleStreamCoverage extends CandleStreamSummary {
  expectedCount: number;
  missingCount: number;
  /** Number of gaps (runs of consecutive missing candles). */
  gapCount: number;
  /** The largest gaps, most missing candles first (earliest first on ties), at most the `largestGaps` asked for. */
  largestGaps: CandleGap[];
}

/** Result of writing a batch of candles. `inserted` counts new rows (duplicates by open time are ignored). */
export interface CandleWriteResult {
  inserted: number;
}

/** Candle storage. Writes are all-or-nothing. */
export interface CandleRepository {
  /** Inserts candles in one transaction; rows whose (exchange, symbol, timeframe, openTimeMs) exist are left unchanged. */
  insertCandles(key: MarketKey, candles: CandleColumns): Promise<CandleWriteResult>;
  /** Loads candles with `fromMs <= openTimeMs < toMs`, ascending, as typed columns. */
  loadCandles(key: MarketKey, fromMs: number, toMs: number): Promise<CandleColumns>;
  /**
   * The candles of `[fromMs, toMs)` aggregated into buckets of `bucketMs` aligned to multiples of it
   * since the epoch, exactly as engine/market `downsampleCandles` does, but in the store: a wide chart
   * window reads one row per bucket instead of every candle. @throws ValidationError when bucketMs is not a positive integer.
   */
  loadCandleBuckets(key: MarketKey, fromMs: number, toMs: number, bucketMs: number): Promise<CandleColumns>;
  /** One row per stored (exchange, symbol, timeframe). */
  summarize(): Promise<CandleStreamSummary[]>;
  /**
   * Like `summarize`, with the gaps of every stream computed by the store (one pass in order of open time).
   * @param largestGaps how many of the largest gaps to return per stream, an integer 0..100.
   * @throws ValidationError when largestGaps is out of range.
   */
  summarizeCoverage(largestGaps: number): Promise<CandleStreamCoverage[]>;
  /** Number of candles stored for a key. */
  countCandles(key: MarketKey): Promise<number>;
}
