/**
 * RSI mean reversion: fade stretched moves when the Relative Strength Index leaves its extreme
 * zones (Wilder, "New Concepts in Technical Trading Systems", 1978; 30/70 are Wilder's levels).
 */
import { ValidationError } from '../core/errors';
import type { FeatureFrame } from '../features/feature-frame';
import {
  COMMON_REASONS,
  Direction,
  checkPeriod,
  checkPositive,
  setFlat,
  withDefaults,
  type AdapterOutput,
  type StrategyAdapter,
} from './strategy-adapter';

/** Settings for {@link createRsiMeanReversion}. Periods in candles, thresholds in RSI points (0..100). */
export interface RsiMeanReversionConfig {
  readonly period: number;
  /** Invariant: 0 < oversold < overbought < 100. */
  readonly oversold: number;
  readonly overbought: number;
  readonly atrPeriod: number;
  /** Stop distance in ATRs from the close. */
  readonly atrStopMultiple: number;
}

/** Defaults: RSI(14) with Wilder's 30/70 levels, ATR(14), stop 2 ATR. */
export const RSI_MEAN_REVERSION_DEFAULTS: RsiMeanReversionConfig = Object.freeze({
  period: 14,
  oversold: 30,
  overbought: 70,
  atrPeriod: 14,
  atrStopMultiple: 2,
});

/** Constant reasons written by the RSI mean-reversion adapter. */
export const RSI_MEAN_REVERSION_REASONS = {
  LeftOversold: 'rsi-mean-reversion: RSI crossed up through oversold',
  LeftOverbought: 'rsi-mean-reversion: RSI crossed down through overbought',
} as const;

/**
 * Creates the RSI mean-reversion adapter.
 *
 * What it tells a trader: selling (buying) pressure was extreme and has just started to ease, so
 * price may snap back toward its mean. Works in ranges; loses in strong trends.
 *
 * Rules at row i:
 * - long when RSI[i-1] <= oversold and RSI[i] > oversold; short when RSI[i-1] >= overbought and
 *   RSI[i] < overbought; otherwise flat.
 * - strength = 0.5 + 0.5 * min(1, |RSI[i] - RSI[i-1]| / (overbought - oversold)): the size of the
 *   turn relative to the neutral band.
 * - stopHint = close -/+ atrStopMultiple * ATR (NaN if ATR is 0).
 * - warmup = max(period + 1, atrPeriod - 1).
 *
 * @throws ValidationError when a period is not an integer in 1..10000, the thresholds break
 *   0 < oversold < overbought < 100, or atrStopMultiple is not a finite number > 0.
 */
export function createRsiMeanReversion(
  config: Partial<RsiMeanReversionConfig> = {},
): StrategyAdapter<RsiMeanReversionConfig> {
  const c = withDefaults(RSI_MEAN_REVERSION_DEFAULTS, config);
  checkPeriod('period', c.period);
  checkPeriod('atrPeriod', c.atrPeriod);
  checkPositive('atrStopMultiple', c.atrStopMultiple);
  if (!(c.oversold > 0 && c.oversold < 100)) {
    throw new ValidationError('oversold', c.oversold, `oversold (${String(c.oversold)}) must be above 0 and below 100`);
  }
  if (!(c.overbought > 0 && c.overbought < 100)) {
    throw new ValidationError(
      'overbought',
      c.overbought,
      `overbought (${String(c.overbought)}) must be above 0 and below 100`,
    );
  }
  if (c.oversold >= c.overbought) {
    throw new ValidationError(
      'oversold',
      c.oversold,
      `oversold (${c.oversold}) must be below overbought (${c.overbought})`,
    );
  }
  const { period, oversold, overbought, atrPeriod, atrStopMultiple } = c;
  const band = overbought - oversold;

  function evaluate(f: FeatureFrame, i: number, out: AdapterOutput): void {
    if (i < 1) return setFlat(out, COMMON_REASONS.WarmUp);
    const rsi = f.rsi[period];
    const now = rsi[i];
    const before = rsi[i - 1];
    const atr = f.atr[atrPeriod][i];
    if (now !== now || before !== before || atr !== atr) return setFlat(out, COMMON_REASONS.WarmUp);
    let side: Direction;
    if (before <= oversold && now > oversold) {
      side = Direction.Long;
      out.reason = RSI_MEAN_REVERSION_REASONS.LeftOversold;
    } else if (before >= overbought && now < overbought) {
      side = Direction.Short;
      out.reason = RSI_MEAN_REVERSION_REASONS.LeftOverbought;
    } else {
      return setFlat(out, COMMON_REASONS.NoSignal);
    }
    const x = (now > before ? now - before : before - now) / band;
    out.side = side;
    out.strength = 0.5 + 0.5 * (x < 1 ? x : 1);
    if (atr > 0) out.stopHint = f.close[i] - side * atrStopMultiple * atr;
    else out.stopHint = NaN; // if/else, not a ternary with NaN: that form boxes the number
  }

  return Object.freeze({
    name: 'rsi-mean-reversion',
    config: c,
    features: Object.freeze({ rsi: Object.freeze([period]), atr: Object.freeze([atrPeriod]) }),
    warmup: Math.max(period + 1, atrPeriod - 1),
    evaluate,
  });
}
