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
  /** Number of candles stored for a key. */
  countCandles(key: MarketKey): Promise<number>;
}
