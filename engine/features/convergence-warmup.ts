/**
 * How much history the recursive indicator columns need before their values no longer depend on
 * where that history began (freqtrade's `startup_candle_count`). Pure: depends only on the feature
 * config and a tolerance.
 */
import { ValidationError } from '../core/errors';
import { normalizeFeatureConfig, type FeatureConfig } from './feature-config';

/** Default tolerance of the look-ahead/recursion check: 0.1 % of the value (0.1 point of RSI). */
export const DEFAULT_RECURSION_TOLERANCE = 1e-3;

/**
 * The warm-up (first row on which a signal may fire) after which every recursive column of
 * `features` has forgotten its seed to within `tolerance`: the seed's weight after `m` smoothing
 * steps is `(1 - alpha)^m`, so `m = ceil(ln(tolerance) / ln(1 - alpha))` steps after the row where
 * the column is seeded (EMA(n): alpha 2/(n+1), seeded at row 0; Wilder RSI(n): alpha 1/n, seeded at
 * row n; ATR(n): alpha 1/n, seeded at row n-1). SMA(n) and the rolling standard deviation(n) have
 * values from row n-1 and Donchian(n) from row n (not recursive: their own warm-ups).
 * This bounds the seed's weight, not the difference itself; the seed's error can exceed the
 * column's value (a calm-period ATR seed), so the default tolerance is 10x below the check's
 * ({@link DEFAULT_RECURSION_TOLERANCE} / 10 = 0.01 %).
 * @throws ValidationError naming `tolerance` outside (0, 1); the feature config's ValidationError for an invalid period.
 */
export function convergenceWarmup(features: FeatureConfig, tolerance = DEFAULT_RECURSION_TOLERANCE / 10): number {
  if (!(Number.isFinite(tolerance) && tolerance > 0 && tolerance < 1)) {
    throw new ValidationError('tolerance', tolerance, `tolerance (${String(tolerance)}) must be a number above 0 and below 1`);
  }
  const config = normalizeFeatureConfig(features);
  const steps = (alpha: number) => (alpha >= 1 ? 0 : Math.ceil(Math.log(tolerance) / Math.log(1 - alpha)));
  let warmup = 0;
  for (const n of config.sma) warmup = Math.max(warmup, n - 1);
  for (const n of config.stddev) warmup = Math.max(warmup, n - 1);
  for (const n of config.donchian) warmup = Math.max(warmup, n);
  for (const n of config.ema) warmup = Math.max(warmup, n - 1, steps(2 / (n + 1)));
  for (const n of config.rsi) warmup = Math.max(warmup, n + steps(1 / n));
  for (const n of config.atr) warmup = Math.max(warmup, n - 1 + steps(1 / n));
  return warmup;
}
