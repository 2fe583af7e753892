/**
 * The read view strategy adapters evaluate against: candle columns plus indicator columns,
 * all Float64Array with `length` valid rows (row `i` is the i-th closed candle, oldest first).
 */
import { ValidationError } from '../core/errors';
import { FEATURE_KINDS, type FeatureConsumer, type NormalizedFeatureConfig } from './feature-config';

/**
 * Column-oriented candles and indicators, read-only for consumers.
 *
 * - Every column's `.length` is the extractor's capacity, not the row count: read rows `0..length-1` only.
 * - Indicator columns are indexed by period: `frame.sma[20][i]` is SMA(20) at row `i`. Only configured
 *   periods exist (the arrays are sparse); see {@link assertFrameProvides}.
 * - Warm-up rows hold NaN (e.g. SMA(n) rows `0..n-2`).
 * - Column objects are replaced when the extractor grows: re-read `frame.close` etc. on every call,
 *   never cache a column across pushes.
 *
 * Units: prices in quote currency, volume in base currency, RSI in 0..100, times epoch ms.
 */
export interface FeatureFrame {
  /** Number of valid rows. */
  readonly length: number;
  readonly config: NormalizedFeatureConfig;
  readonly openTimeMs: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  /** Wilder true range: row 0 is high-low, later rows max(high-low, |high-prevClose|, |low-prevClose|). */
  readonly trueRange: Float64Array;
  /** SMA(n) of close, valid from row n-1. */
  readonly sma: readonly Float64Array[];
  /** EMA(n) of close, weight 2/(n+1), seeded with the first close, valid from row n-1. */
  readonly ema: readonly Float64Array[];
  /** Wilder RSI(n) of close in 0..100, valid from row n. */
  readonly rsi: readonly Float64Array[];
  /** Wilder ATR(n), seeded with the mean of the first n true ranges, valid from row n-1. */
  readonly atr: readonly Float64Array[];
  /** Highest high of rows i-n..i-1 (excludes row i, so a breakout is close > upper), valid from row n. */
  readonly donchianUpper: readonly Float64Array[];
  /** Lowest low of rows i-n..i-1 (excludes row i), valid from row n. */
  readonly donchianLower: readonly Float64Array[];
  /**
   * Population standard deviation of the last n closes (rows i-n+1..i, divided by n, as in Bollinger's
   * bands and `trading-signals`), valid from row n-1. `sma[n][i] ± k * stddev[n][i]` are the bands.
   */
  readonly stddev: readonly Float64Array[];
}

/**
 * Checks once, before a run, that a frame computes every column the consumers read.
 * @throws ValidationError naming the missing family and period, e.g. `field "sma" was 50: ...`.
 */
export function assertFrameProvides(frame: FeatureFrame, consumers: readonly FeatureConsumer[]): void {
  for (const consumer of consumers) {
    for (const kind of FEATURE_KINDS) {
      const available = frame.config[kind];
      for (const period of consumer.features[kind] ?? []) {
        if (!available.includes(period)) {
          throw new ValidationError(
            kind,
            period,
            `the feature frame computes no ${kind}(${period}); it has ${kind} periods [${available.join(', ')}]`,
          );
        }
      }
    }
  }
}
