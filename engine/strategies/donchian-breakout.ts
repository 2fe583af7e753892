/**
 * Donchian channel breakout: Richard Donchian's channel rule as used by the Turtle Traders
 * (Faith, "Way of the Turtle", 2007: System 1 enters on a 20-day breakout; Curtis Faith's
 * published "Original Turtle Trading Rules").
 */
import type { FeatureFrame } from '../features/feature-frame';
import {
  COMMON_REASONS,
  Direction,
  checkPeriod,
  setFlat,
  withDefaults,
  type AdapterOutput,
  type StrategyAdapter,
} from './strategy-adapter';

/** Settings for {@link createDonchianBreakout}. Periods in candles. */
export interface DonchianBreakoutConfig {
  /** Channel length: the breakout level is the extreme of the previous `period` candles. */
  readonly period: number;
  /** ATR period used to grade strength. */
  readonly atrPeriod: number;
}

/** Defaults: the Turtles' 20-candle channel, ATR(14). */
export const DONCHIAN_BREAKOUT_DEFAULTS: DonchianBreakoutConfig = Object.freeze({ period: 20, atrPeriod: 14 });

/** Constant reasons written by the Donchian breakout adapter. */
export const DONCHIAN_BREAKOUT_REASONS = {
  BrokeUp: 'donchian-breakout: close above the previous channel high',
  BrokeDown: 'donchian-breakout: close below the previous channel low',
} as const;

/**
 * Creates the Donchian breakout adapter.
 *
 * What it tells a trader: price closed beyond the highest high (lowest low) of the previous
 * `period` candles, a new range extreme that often starts or extends a trend.
 *
 * Rules at row i (upper/lower = channel of rows i-period..i-1):
 * - long when close > upper; short when close < lower; otherwise flat. It fires on every candle
 *   that closes beyond the channel (each one is a new extreme); the fusion gate handles repeats.
 * - strength = 0.5 + 0.5 * min(1, distance beyond the broken level / ATR).
 * - stopHint = the opposite channel side: lower for a long, upper for a short.
 * - warmup = max(period, atrPeriod - 1).
 *
 * @throws ValidationError when a period is not an integer in 1..10000.
 */
export function createDonchianBreakout(
  config: Partial<DonchianBreakoutConfig> = {},
): StrategyAdapter<DonchianBreakoutConfig> {
  const c = withDefaults(DONCHIAN_BREAKOUT_DEFAULTS, config);
  checkPeriod('period', c.period);
  checkPeriod('atrPeriod', c.atrPeriod);
  const { period, atrPeriod } = c;

  function evaluate(f: FeatureFrame, i: number, out: AdapterOutput): void {
    const upper = f.donchianUpper[period][i];
    const lower = f.donchianLower[period][i];
    const atr = f.atr[atrPeriod][i];
    if (upper !== upper || atr !== atr) return setFlat(out, COMMON_REASONS.WarmUp);
    const close = f.close[i];
    if (close > upper) {
      out.side = Direction.Long;
      out.reason = DONCHIAN_BREAKOUT_REASONS.BrokeUp;
      const x = atr > 0 ? (close - upper) / atr : 0;
      out.strength = 0.5 + 0.5 * (x < 1 ? x : 1);
      out.stopHint = lower;
    } else if (close < lower) {
      out.side = Direction.Short;
      out.reason = DONCHIAN_BREAKOUT_REASONS.BrokeDown;
      const x = atr > 0 ? (lower - close) / atr : 0;
      out.strength = 0.5 + 0.5 * (x < 1 ? x : 1);
      out.stopHint = upper;
    } else {
      setFlat(out, COMMON_REASONS.NoSignal);
    }
  }

  return Object.freeze({
    name: 'donchian-breakout',
    config: c,
    features: Object.freeze({ donchian: Object.freeze([period]), atr: Object.freeze([atrPeriod]) }),
    warmup: Math.max(period, atrPeriod - 1),
    evaluate,
  });
}
