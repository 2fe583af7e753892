/**
 * Candle windows for charts: pick a bucket size so a time range fits in a point budget, then
 * aggregate OHLCV into those buckets (open of the first candle, highest high, lowest low, close of
 * the last candle, summed volume), as an exchange builds a 1h candle from twelve 5m candles.
 */
import { ValidationError } from '../core/errors';
import type { CandleColumns } from '../core/types';

/** Largest number of points a chart window may ask for. */
export const MAX_WINDOW_POINTS = 2_000;

/**
 * The bucket length (ms) for showing `[fromMs, toMs)` of a stream with candles every `timeframeMs`
 * in at most `maxPoints` buckets: `timeframeMs` when the range already fits, else the smallest
 * whole multiple of `timeframeMs` that fits (buckets are aligned to multiples of the bucket length
 * since the Unix epoch, so one extra partial bucket at each edge is allowed for).
 * @throws ValidationError when timeframeMs is not > 0, maxPoints is not an integer in 2..MAX_WINDOW_POINTS,
 *   or the range is empty or not finite.
 */
export function chooseBucketMs(timeframeMs: number, fromMs: number, toMs: number, maxPoints: number): number {
  if (!Number.isFinite(timeframeMs) || timeframeMs <= 0) throw new ValidationError('timeframeMs', timeframeMs, 'expected a duration > 0');
  if (!Number.isInteger(maxPoints) || maxPoints < 2 || maxPoints > MAX_WINDOW_POINTS) {
    throw new ValidationError('maxPoints', maxPoints, `expected an integer in 2..${MAX_WINDOW_POINTS}`);
  }
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs <= fromMs) {
    throw new ValidationError('toMs', toMs, `expected a finite time after fromMs ${fromMs}`);
  }
  const candles = Math.ceil((toMs - fromMs) / timeframeMs);
  if (candles <= maxPoints) return timeframeMs;
  // Two partial edge buckets at most, so ask for maxPoints - 2 full ones.
  const multiple = Math.ceil(candles / (maxPoints - 2));
  return multiple * timeframeMs;
}

/**
 * Aggregates candles into buckets of `bucketMs` aligned to multiples of `bucketMs` since the epoch.
 * A bucket's `openTimeMs` is its aligned start; empty buckets are skipped (no invented candles).
 * With `bucketMs` equal to the candles' spacing this returns a copy. Allocates the result only.
 * @throws ValidationError when bucketMs is not > 0.
 */
export function downsampleCandles(candles: CandleColumns, bucketMs: number): CandleColumns {
  if (!Number.isFinite(bucketMs) || bucketMs <= 0) throw new ValidationError('bucketMs', bucketMs, 'expected a duration > 0');
  const n = candles.length;
  // Count buckets first so the output arrays are exact-size.
  let buckets = 0;
  let previous = NaN;
  for (let i = 0; i < n; i++) {
    const start = bucketStart(candles.openTimeMs[i], bucketMs);
    if (start !== previous) {
      buckets++;
      previous = start;
    }
  }
  const out = {
    length: buckets,
    openTimeMs: new Float64Array(buckets),
    open: new Float64Array(buckets),
    high: new Float64Array(buckets),
    low: new Float64Array(buckets),
    close: new Float64Array(buckets),
    volume: new Float64Array(buckets),
  };
  let k = -1;
  previous = NaN;
  for (let i = 0; i < n; i++) {
    const start = bucketStart(candles.openTimeMs[i], bucketMs);
    if (start !== previous) {
      k++;
      previous = start;
      out.openTimeMs[k] = start;
      out.open[k] = candles.open[i];
      out.high[k] = candles.high[i];
      out.low[k] = candles.low[i];
      out.close[k] = candles.close[i];
      out.volume[k] = candles.volume[i];
      continue;
    }
    if (candles.high[i] > out.high[k]) out.high[k] = candles.high[i];
    if (candles.low[i] < out.low[k]) out.low[k] = candles.low[i];
    out.close[k] = candles.close[i];
    out.volume[k] += candles.volume[i];
  }
  return out;
}

function bucketStart(timeMs: number, bucketMs: number): number {
  return timeMs - (((timeMs % bucketMs) + bucketMs) % bucketMs);
}
