/**
 * RSI mean reversion: fade stretched moves when the Relative Strength Index leaves its extreme
 * zones (Wilder, "New Concepts in Technical Trading Systems", 1978; 30/70 are Wilder's levels).
 */
import { ValidationError } from '../core/errors';
import { createAdapterFromDefinition } from './strategy-catalog';
import { defineStrategy, z } from './strategy-api';
import { COMMON_REASONS, Direction, fillFlatColumns, type StrategyAdapter } from './strategy-adapter';
import { multipleParam, periodParam, rsiLevelParam } from './strategy-params';

/** Settings of the RSI mean reversion. Periods in candles, thresholds in RSI points (0..100). */
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
 * The RSI mean-reversion strategy.
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
 * Params: periods integers in 1..10000, 0 < oversold < overbought < 100, atrStopMultiple a finite number > 0.
 */
export const rsiMeanReversion = defineStrategy({
  name: 'rsi-mean-reversion',
  version: '1.0.0',
  summary: 'Long when RSI leaves the oversold level upwards, short when it leaves overbought downwards (oversold must be below overbought); ATR stop.',
  params: z.strictObject({
    period: periodParam(RSI_MEAN_REVERSION_DEFAULTS.period),
    oversold: rsiLevelParam(RSI_MEAN_REVERSION_DEFAULTS.oversold),
    overbought: rsiLevelParam(RSI_MEAN_REVERSION_DEFAULTS.overbought),
    atrPeriod: periodParam(RSI_MEAN_REVERSION_DEFAULTS.atrPeriod),
    atrStopMultiple: multipleParam(RSI_MEAN_REVERSION_DEFAULTS.atrStopMultiple),
  }),
  check(p) {
    if (p.oversold >= p.overbought) {
      throw new ValidationError('oversold', p.oversold, `oversold (${p.oversold}) must be below overbought (${p.overbought})`);
    }
  },
  indicators: (p) => ({ rsi: [p.period], atr: [p.atrPeriod] }),
  warmup: (p) => Math.max(p.period + 1, p.atrPeriod - 1),
  // Column form: the range filled flat, then one pass writing only the warm-up and fired rows.
  evaluateColumns(f, from, to, columns, p) {
    const rsi = f.rsi[p.period];
    const atrs = f.atr[p.atrPeriod];
    const closes = f.close;
    const oversold = p.oversold;
    const overbought = p.overbought;
    const band = overbought - oversold;
    const multiple = p.atrStopMultiple;
    const side = columns.side;
    const strength = columns.strength;
    const stopHint = columns.stopHint;
    const reason = columns.reason;
    fillFlatColumns(columns, to - from, COMMON_REASONS.NoSignal);
    // Row 0 has no row before it: warm-up. Written apart so that the loop reads the row before without a
    // NaN-or-value ternary (V8 boxes the number that form yields, on every row).
    if (from === 0 && to > 0) reason[0] = COMMON_REASONS.WarmUp;
    for (let i = from === 0 ? 1 : from; i < to; i++) {
      const s = i - from;
      const now = rsi[i];
      const before = rsi[i - 1];
      const atr = atrs[i];
      let fired: Direction;
      if (now !== now || before !== before || atr !== atr) {
        reason[s] = COMMON_REASONS.WarmUp;
        continue;
      } else if (before <= oversold && now > oversold) {
        fired = Direction.Long;
        reason[s] = RSI_MEAN_REVERSION_REASONS.LeftOversold;
      } else if (before >= overbought && now < overbought) {
        fired = Direction.Short;
        reason[s] = RSI_MEAN_REVERSION_REASONS.LeftOverbought;
      } else {
        continue;
      }
      side[s] = fired;
      const x = (now > before ? now - before : before - now) / band;
      strength[s] = 0.5 + 0.5 * (x < 1 ? x : 1);
      if (atr > 0) stopHint[s] = closes[i] - fired * multiple * atr;
    }
  },
});

/**
 * Creates the RSI mean-reversion adapter from untrusted params (missing fields take the defaults).
 * @throws ValidationError on `params.<field>` when a period is not an integer in 1..10000, the
 *   thresholds break 0 < oversold < overbought < 100, or atrStopMultiple is not a finite number > 0.
 */
export function createRsiMeanReversion(config: Partial<RsiMeanReversionConfig> = {}): StrategyAdapter<RsiMeanReversionConfig> {
  return createAdapterFromDefinition(rsiMeanReversion, config) as StrategyAdapter<RsiMeanReversionConfig>;
}
