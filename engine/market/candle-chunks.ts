/**
 * Reading a long candle range in chunks, so a backtest over years of 1m candles (or a hundred million
 * synthetic ones) never holds more than a chunk or two of raw candles at once.
 */
import { ValidationError } from '../core/errors';
import { TIMEFRAME_MS, type CandleColumns, type MarketKey } from '../core/types';
import type { CandleRepository } from '../ports/candles';

/** Candles per chunk when a caller does not say: ~6 MB of raw columns, a week of 1m candles. */
export const DEFAULT_CANDLE_CHUNK = 100_000;

/**
 * Checks a chunk size: an integer number of candles >= 1.
 * @throws ValidationError naming `field` and the value otherwise (zero, negative, fractional, NaN).
 */
export function checkChunkSize(value: unknown, field = 'chunkSize'): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ValidationError(field, value, `${field} (${String(value)}) must be a whole number of candles >= 1`);
  }
  return value;
}

/**
 * Yields the stored candles of `[fromMs, toMs)` in ascending chunks, reading one time window of
 * `chunkCandles` timeframes per query (so a chunk holds at most `chunkCandles` candles on the timeframe's
 * grid, fewer across gaps; empty windows are skipped). The next window is read while the caller works on
 * the current chunk; at most two chunks are alive. Chunks never overlap and, concatenated, equal
 * `loadCandles(key, fromMs, toMs)`.
 * @throws ValidationError for a bad chunk size or a timeframe the engine does not know; store errors pass through.
 */
export async function* streamCandleChunks(
  candles: Pick<CandleRepository, 'loadCandles'>,
  key: MarketKey,
  fromMs: number,
  toMs: number,
  chunkCandles: number = DEFAULT_CANDLE_CHUNK,
): AsyncGenerator<CandleColumns, void, undefined> {
  checkChunkSize(chunkCandles);
  const stepMs = TIMEFRAME_MS[key.timeframe];
  if (stepMs === undefined) throw new ValidationError('timeframe', key.timeframe, `timeframe "${String(key.timeframe)}" is not supported; expected one of ${Object.keys(TIMEFRAME_MS).join(', ')}`);
  const windowMs = chunkCandles * stepMs;
  const read = (startMs: number) => candles.loadCandles(key, startMs, Math.min(toMs, startMs + windowMs));
  let startMs = fromMs;
  let next: Promise<CandleColumns> | null = startMs < toMs ? read(startMs) : null;
  while (next) {
    const chunk = await next;
    startMs += windowMs;
    next = startMs < toMs ? read(startMs) : null;
    // A rejected read-ahead surfaces when it is awaited; until then it must not count as unhandled.
    next?.catch(() => undefined);
    if (chunk.length > 0) yield chunk;
  }
}
