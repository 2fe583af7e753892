/**
 * Donchian channel breakout: Richard Donchian's channel rule as used by the Turtle Traders
 * (Faith, "Way of the Turtle", 2007: System 1 enters on a 20-day breakout; Curtis Faith's
 * published "Original Turtle Trading Rules").
 */
import { createAdapterFromDefinition } from './strategy-catalog';
import { defineStrategy, z } from './strategy-api';
import { COMMON_REASONS, Direction, fillFlatColumns, type StrategyAdapter } from './strategy-adapter';
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
  // Column form: the range filled flat, then one pass writing only the warm-up and fired rows; channel,
  // ATR and close columns looked up once per range.
  evaluateColumns(f, from, to, columns, p) {
    const uppers = f.donchianUpper[p.period];
    const lowers = f.donchianLower[p.period];
    const atrs = f.atr[p.atrPeriod];
    const closes = f.close;
    const side = columns.side;
    const strength = columns.strength;
    const stopHint = columns.stopHint;
    const reason = columns.reason;
    fillFlatColumns(columns, to - from, COMMON_REASONS.NoSignal);
    for (let i = from; i < to; i++) {
      const s = i - from;
      const upper = uppers[i];
      const lower = lowers[i];
      const atr = atrs[i];
      const close = closes[i];
      if (upper !== upper || atr !== atr) {
        reason[s] = COMMON_REASONS.WarmUp;
      } else if (close > upper) {
        side[s] = Direction.Long;
        reason[s] = DONCHIAN_BREAKOUT_REASONS.BrokeUp;
        const x = atr > 0 ? (close - upper) / atr : 0;
        strength[s] = 0.5 + 0.5 * (x < 1 ? x : 1);
        stopHint[s] = lower;
      } else if (close < lower) {
        side[s] = Direction.Short;
        reason[s] = DONCHIAN_BREAKOUT_REASONS.BrokeDown;
        const x = atr > 0 ? (lower - close) / atr : 0;
        strength[s] = 0.5 + 0.5 * (x < 1 ? x : 1);
        stopHint[s] = upper;
      }
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
