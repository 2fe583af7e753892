/**
 * Donchian channel breakout: Richard Donchian's channel rule as used by the Turtle Traders
 * (Faith, "Way of the Turtle", 2007: System 1 enters on a 20-day breakout; Curtis Faith's
 * published "Original Turtle Trading Rules").
 */
import { createAdapterFromDefinition } from './strategy-catalog';
import { defineStrategy, z } from './strategy-api';
import { COMMON_REASONS, Direction, setFlat, type StrategyAdapter } from './strategy-adapter';
import { periodParam } from './strategy-params';

/** Settings of the Donchian breakout. Periods in candles. */
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
 * The Donchian breakout strategy.
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
 * Params: periods integers in 1..10000.
 */
export const donchianBreakout = defineStrategy({
  name: 'donchian-breakout',
  version: '1.0.0',
  summary: 'Long on a close above the prior Donchian channel high, short below its low; ATR-based strength.',
  params: z.strictObject({
    period: periodParam(DONCHIAN_BREAKOUT_DEFAULTS.period),
    atrPeriod: periodParam(DONCHIAN_BREAKOUT_DEFAULTS.atrPeriod),
  }),
  indicators: (p) => ({ donchian: [p.period], atr: [p.atrPeriod] }),
  warmup: (p) => Math.max(p.period, p.atrPeriod - 1),
  evaluate(f, i, out, p) {
    const upper = f.donchianUpper[p.period][i];
    const lower = f.donchianLower[p.period][i];
    const atr = f.atr[p.atrPeriod][i];
    if (upper !== upper || atr !== atr) return setFlat(out, COMMON_REASONS.WarmUp);
    const close = f.close[i];
    if (close > upper) {
      out.side = Direction.Long;
      out.reason = DONCHIAN_BREAKOUT_REASONS.BrokeUp;
      const x = atr > 0 ? (close - upper) / atr : 0;
      out.strength = 0.5 + 0.5 * (x < 1 ? x : 1);
      out.stopHint = lower;
      out.exit = Direction.Flat;
    } else if (close < lower) {
      out.side = Direction.Short;
      out.reason = DONCHIAN_BREAKOUT_REASONS.BrokeDown;
      const x = atr > 0 ? (lower - close) / atr : 0;
      out.strength = 0.5 + 0.5 * (x < 1 ? x : 1);
      out.stopHint = upper;
      out.exit = Direction.Flat;
    } else {
      setFlat(out, COMMON_REASONS.NoSignal);
    }
  },
});

/**
 * Creates the Donchian breakout adapter from untrusted params (missing fields take the defaults).
 * @throws ValidationError on `params.<field>` when a period is not an integer in 1..10000.
 */
export function createDonchianBreakout(config: Partial<DonchianBreakoutConfig> = {}): StrategyAdapter<DonchianBreakoutConfig> {
  return createAdapterFromDefinition(donchianBreakout, config) as StrategyAdapter<DonchianBreakoutConfig>;
}
