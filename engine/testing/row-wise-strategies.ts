/**
 * The four built-in strategies as they were written per row, before their one implementation became the
 * column form (`evaluateColumns`): kept verbatim as independent references for the tests that check the
 * column form gives exactly the same outputs, row by row, on hand-built series and on every candle file of
 * ../shared/data. Test code only: the engine never runs these.
 */
import type { FeatureFrame } from '../features/feature-frame';
import { crossDirection } from '../strategies/cross';
import { DONCHIAN_BREAKOUT_REASONS, donchianBreakout, type DonchianBreakoutConfig } from '../strategies/donchian-breakout';
import { EMA_TREND_REASONS, emaTrend, type EmaTrendConfig } from '../strategies/ema-trend';
import { MA_CROSSOVER_REASONS, maCrossover, type MaCrossoverConfig } from '../strategies/ma-crossover';
import { RSI_MEAN_REVERSION_REASONS, rsiMeanReversion, type RsiMeanReversionConfig } from '../strategies/rsi-mean-reversion';
import { defineStrategy, type StrategyDefinition } from '../strategies/strategy-api';
import { COMMON_REASONS, Direction, setFlat, type AdapterOutput } from '../strategies/strategy-adapter';

/** The MA crossover per row: long (short) when SMA(fast) crosses above (below) SMA(slow) by `crossDirection`; strength from |close − SMA(slow)| in ATRs; stop atrStopMultiple ATRs from the close. */
export function evaluateMaCrossover(f: FeatureFrame, i: number, out: AdapterOutput, p: MaCrossoverConfig): void {
  if (i < 1) return setFlat(out, COMMON_REASONS.WarmUp);
  const fast = f.sma[p.fastPeriod];
  const slow = f.sma[p.slowPeriod];
  const atr = f.atr[p.atrPeriod][i];
  const now = fast[i] - slow[i];
  const before = fast[i - 1] - slow[i - 1];
  if (now !== now || before !== before || atr !== atr) return setFlat(out, COMMON_REASONS.WarmUp);
  const cross = crossDirection(fast, slow, i);
  let side: Direction;
  if (cross === 1) {
    side = Direction.Long;
    out.reason = MA_CROSSOVER_REASONS.CrossedAbove;
  } else if (cross === -1) {
    side = Direction.Short;
    out.reason = MA_CROSSOVER_REASONS.CrossedBelow;
  } else {
    return setFlat(out, COMMON_REASONS.NoSignal);
  }
  const close = f.close[i];
  const distance = close > slow[i] ? close - slow[i] : slow[i] - close;
  const x = atr > 0 ? distance / atr : 0;
  out.side = side;
  out.strength = 0.5 + 0.5 * (x < 1 ? x : 1);
  out.exit = Direction.Flat;
  if (atr > 0) out.stopHint = close - side * p.atrStopMultiple * atr;
  else out.stopHint = NaN; // if/else, not a ternary with NaN: that form boxes the number
}

/** The RSI mean reversion per row: long when RSI leaves oversold upwards, short when it leaves overbought downwards; strength from the RSI step over the band; stop atrStopMultiple ATRs from the close. */
export function evaluateRsiMeanReversion(f: FeatureFrame, i: number, out: AdapterOutput, p: RsiMeanReversionConfig): void {
  if (i < 1) return setFlat(out, COMMON_REASONS.WarmUp);
  const rsi = f.rsi[p.period];
  const now = rsi[i];
  const before = rsi[i - 1];
  const atr = f.atr[p.atrPeriod][i];
  if (now !== now || before !== before || atr !== atr) return setFlat(out, COMMON_REASONS.WarmUp);
  const oversold = p.oversold;
  const overbought = p.overbought;
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
  const x = (now > before ? now - before : before - now) / (overbought - oversold);
  out.side = side;
  out.strength = 0.5 + 0.5 * (x < 1 ? x : 1);
  out.exit = Direction.Flat;
  if (atr > 0) out.stopHint = f.close[i] - side * p.atrStopMultiple * atr;
  else out.stopHint = NaN; // if/else, not a ternary with NaN: that form boxes the number
}

/** The EMA trend per row: fires when the state (close above a rising EMA: 1, below a falling one: -1, else 0) turns non-zero and differs from the previous row's; strength from |close − EMA| in ATRs; ATR stop. */
export function evaluateEmaTrend(f: FeatureFrame, i: number, out: AdapterOutput, p: EmaTrendConfig): void {
  if (i < 2) return setFlat(out, COMMON_REASONS.WarmUp);
  const ema = f.ema[p.period];
  const close = f.close;
  const e0 = ema[i];
  const e1 = ema[i - 1];
  const e2 = ema[i - 2];
  const atr = f.atr[p.atrPeriod][i];
  if (e0 !== e0 || e1 !== e1 || e2 !== e2 || atr !== atr) return setFlat(out, COMMON_REASONS.WarmUp);
  const c0 = close[i];
  const c1 = close[i - 1];
  const now = c0 > e0 && e0 > e1 ? 1 : c0 < e0 && e0 < e1 ? -1 : 0;
  const before = c1 > e1 && e1 > e2 ? 1 : c1 < e1 && e1 < e2 ? -1 : 0;
  if (now === 0 || now === before) return setFlat(out, COMMON_REASONS.NoSignal);
  const side: Direction = now === 1 ? Direction.Long : Direction.Short;
  out.side = side;
  out.reason = side === Direction.Long ? EMA_TREND_REASONS.UptrendStarted : EMA_TREND_REASONS.DowntrendStarted;
  const x = atr > 0 ? (c0 > e0 ? c0 - e0 : e0 - c0) / atr : 0;
  out.strength = 0.5 + 0.5 * (x < 1 ? x : 1);
  out.exit = Direction.Flat;
  if (atr > 0) out.stopHint = c0 - side * p.atrStopMultiple * atr;
  else out.stopHint = NaN; // if/else, not a ternary with NaN: that form boxes the number
}

/** The Donchian breakout per row: long on a close above the previous channel high, short below its low; strength from the distance beyond the level in ATRs; stop at the opposite channel side. */
export function evaluateDonchianBreakout(f: FeatureFrame, i: number, out: AdapterOutput, p: DonchianBreakoutConfig): void {
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
}

/** A built-in definition with its column form replaced by the per-row `evaluate` (params, indicators and warm-up kept). */
function rowWise<Config>(definition: StrategyDefinition, evaluate: (f: FeatureFrame, i: number, out: AdapterOutput, p: Config) => void): StrategyDefinition {
  const { evaluateColumns: _columnForm, evaluate: _none, ...rest } = definition;
  return defineStrategy({ ...rest, evaluate: evaluate as unknown as (f: FeatureFrame, i: number, out: AdapterOutput, p: unknown) => void });
}

/**
 * The built-ins written per row, by name (same names, params, indicators and warm-ups as the built-ins):
 * `createAdapterFromDefinition(ROW_WISE_BUILT_INS[name], params)` is the adapter the engine used before.
 */
export const ROW_WISE_BUILT_INS: Readonly<Record<string, StrategyDefinition>> = Object.freeze({
  'ma-crossover': rowWise(maCrossover as unknown as StrategyDefinition, evaluateMaCrossover),
  'rsi-mean-reversion': rowWise(rsiMeanReversion as unknown as StrategyDefinition, evaluateRsiMeanReversion),
  'ema-trend': rowWise(emaTrend as unknown as StrategyDefinition, evaluateEmaTrend),
  'donchian-breakout': rowWise(donchianBreakout as unknown as StrategyDefinition, evaluateDonchianBreakout),
});
