/**
 * EMA trend filter: trade in the direction of a rising (falling) exponential moving average when
 * price is on the same side of it (trend definition as in Murphy, "Technical Analysis of the
 * Financial Markets", 1999, ch. 9; EMA weighting 2/(n+1) per Appel/Hutson).
 */
import { createAdapterFromDefinition } from './strategy-catalog';
import { defineStrategy, z } from './strategy-api';
import { COMMON_REASONS, Direction, fillFlatColumns, type StrategyAdapter } from './strategy-adapter';
import { multipleParam, periodParam } from './strategy-params';

/** Settings of the EMA trend. Periods in candles. */
export interface EmaTrendConfig {
  readonly period: number;
  readonly atrPeriod: number;
  /** Stop distance in ATRs from the close. */
  readonly atrStopMultiple: number;
}

/** Defaults: EMA(50), ATR(14), stop 2 ATR. */
export const EMA_TREND_DEFAULTS: EmaTrendConfig = Object.freeze({ period: 50, atrPeriod: 14, atrStopMultiple: 2 });

/** Constant reasons written by the EMA trend adapter. */
export const EMA_TREND_REASONS = {
  UptrendStarted: 'ema-trend: close above a rising EMA',
  DowntrendStarted: 'ema-trend: close below a falling EMA',
} as const;

/**
 * The EMA trend strategy.
 *
 * What it tells a trader: the trend has just turned up (price above a rising EMA) or down (price
 * below a falling EMA). It fires once per change of state, not on every candle of a trend.
 *
 * Rules: state(i) = 1 if close[i] > EMA[i] and EMA[i] > EMA[i-1]; -1 if close[i] < EMA[i] and
 * EMA[i] < EMA[i-1]; else 0. At row i, signal state(i) when state(i) != 0 and state(i) != state(i-1)
 * (state(i-1) must be computable, so the first fire is at row period + 1).
 * - strength = 0.5 + 0.5 * min(1, |close - EMA| / ATR).
 * - stopHint = close -/+ atrStopMultiple * ATR (NaN if ATR is 0).
 * - warmup = max(period + 1, atrPeriod - 1).
 *
 * Params: periods integers in 1..10000, atrStopMultiple a finite number > 0.
 */
export const emaTrend = defineStrategy({
  name: 'ema-trend',
  version: '1.0.0',
  summary: 'Long while the close is above a rising EMA, short while below a falling one; ATR stop.',
  params: z.strictObject({
    period: periodParam(EMA_TREND_DEFAULTS.period),
    atrPeriod: periodParam(EMA_TREND_DEFAULTS.atrPeriod),
    atrStopMultiple: multipleParam(EMA_TREND_DEFAULTS.atrStopMultiple),
  }),
  indicators: (p) => ({ ema: [p.period], atr: [p.atrPeriod] }),
  warmup: (p) => Math.max(p.period + 1, p.atrPeriod - 1),
  // Column form: the range filled flat, then one pass writing only the warm-up and fired rows. The state of
  // the row before (an integer) is carried from row to row: it is the same expression of the same values
  // whether computed at row i-1 or again at row i. The loop starts one row early to seed it, rather than a
  // call before the loop: V8 compiles this rarely called loop on the fly (on-stack replacement), and code
  // before it runs in the interpreter, which boxes every price it reads.
  evaluateColumns(f, from, to, columns, p) {
    const ema = f.ema[p.period];
    const atrs = f.atr[p.atrPeriod];
    const close = f.close;
    const multiple = p.atrStopMultiple;
    const side = columns.side;
    const strength = columns.strength;
    const stopHint = columns.stopHint;
    const reason = columns.reason;
    fillFlatColumns(columns, to - from, COMMON_REASONS.NoSignal);
    // Rows 0 and 1 have no two rows before them: warm-up. Written apart so that the loop reads the rows
    // before without a NaN-or-value ternary (V8 boxes the number that form yields, on every row).
    const first = from > 2 ? from : 2;
    for (let i = from; i < first && i < to; i++) reason[i - from] = COMMON_REASONS.WarmUp;
    let before = 0;
    for (let i = first - 1; i < to; i++) {
      const e0 = ema[i];
      const c0 = close[i];
      const e1 = ema[i - 1];
      const now = c0 > e0 && e0 > e1 ? 1 : c0 < e0 && e0 < e1 ? -1 : 0;
      const changed = now !== 0 && now !== before;
      before = now;
      if (i < first) continue; // the row before the range: its state only
      const s = i - from;
      const e2 = ema[i - 2];
      const atr = atrs[i];
      if (e0 !== e0 || e1 !== e1 || e2 !== e2 || atr !== atr) {
        reason[s] = COMMON_REASONS.WarmUp;
        continue;
      }
      if (!changed) continue;
      side[s] = now;
      reason[s] = now === 1 ? EMA_TREND_REASONS.UptrendStarted : EMA_TREND_REASONS.DowntrendStarted;
      const x = atr > 0 ? (c0 > e0 ? c0 - e0 : e0 - c0) / atr : 0;
      strength[s] = 0.5 + 0.5 * (x < 1 ? x : 1);
      if (atr > 0) stopHint[s] = c0 - now * multiple * atr;
    }
  },
});

/**
 * Creates the EMA trend adapter from untrusted params (missing fields take the defaults).
 * @throws ValidationError on `params.<field>` when a period is not an integer in 1..10000 or atrStopMultiple is not a finite number > 0.
 */
export function createEmaTrend(config: Partial<EmaTrendConfig> = {}): StrategyAdapter<EmaTrendConfig> {
  return createAdapterFromDefinition(emaTrend, config) as StrategyAdapter<EmaTrendConfig>;
}
