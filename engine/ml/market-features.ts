/**
 * The model input vectors, computed from a {@link FeatureFrame}. One implementation serves training
 * (engine/ml/dataset.ts) and serving (the trading loop's `vetoFeatures`), so the two can never drift.
 *
 * Every feature at row `i` reads only rows `0..i` (candles whose close time is at or before the
 * decision time): no look-ahead. Scale-free by construction (log returns, ratios to close, distances
 * in ATRs), so one model can serve symbols with different price levels.
 *
 * Market features (side-independent; regime and volatility models):
 * - `logReturn1`, `logReturn4`, `logReturn16`: ln(close[i] / close[i-k]).
 * - `atrOverClose`: ATR(14) / close, the current volatility as a fraction of price.
 * - `rsiCentered`: (RSI(14) - 50) / 50, in -1..1.
 * - `smaDistanceAtr`: (close - SMA(50)) / ATR(14).
 * - `emaDistanceAtr`: (close - EMA(20)) / ATR(14).
 * - `donchianPosition`: where close sits in the previous 20 candles' high-low channel, -1 (at the
 *   low) .. +1 (at the high); above 1 / below -1 on a breakout; 0 for a zero-width channel.
 * - `rangeOverAtr`: (high - low) / ATR(14) of the last candle.
 *
 * Intent features (a prospective entry of side s = +1 long / -1 short; veto and stop-distance
 * models): `side`, then every market feature, with the directional ones (returns, RSI, distances,
 * Donchian position) multiplied by s so that "the market moves in the trade's favour" has one sign
 * for longs and shorts alike.
 *
 * While an indicator warms up (fewer than {@link ML_FEATURE_WARMUP} rows) its features are 0, the
 * neutral value; the datasets only use rows from the warm-up on, but the live loop may ask earlier.
 */
import type { FeatureConfig } from '../features/feature-config';
import type { FeatureFrame } from '../features/feature-frame';

/** Indicator periods the ML features read; the loop adds them to its extractor when a veto model is in use. */
export const ML_FEATURE_CONFIG = {
  sma: [50],
  ema: [20],
  rsi: [14],
  atr: [14],
  donchian: [20],
} as const satisfies FeatureConfig;

/** First row index at which every ML feature is defined (SMA(50) is valid from row 49). */
export const ML_FEATURE_WARMUP = 49;

/** Names of the market (side-independent) features, in vector order. */
export const MARKET_FEATURE_NAMES = [
  'logReturn1',
  'logReturn4',
  'logReturn16',
  'atrOverClose',
  'rsiCentered',
  'smaDistanceAtr',
  'emaDistanceAtr',
  'donchianPosition',
  'rangeOverAtr',
] as const;

/** Names of the intent features (entry side first, then the side-signed market features), in vector order. */
export const INTENT_FEATURE_NAMES = ['side', ...MARKET_FEATURE_NAMES] as const;

/** Whether each market feature is directional (multiplied by the side in the intent vector). */
const DIRECTIONAL = [true, true, true, false, true, true, true, true, false] as const;

const ATR_PERIOD = 14;
const RSI_PERIOD = 14;
const SMA_PERIOD = 50;
const EMA_PERIOD = 20;
const DONCHIAN_PERIOD = 20;

const finiteOr0 = (v: number) => (Number.isFinite(v) ? v : 0);

/**
 * Writes the market features of row `i` into `out[offset .. offset + 9)`. Allocation-free.
 * @param frame a frame computing at least {@link ML_FEATURE_CONFIG}; missing columns yield 0 features.
 * @param i a row in `0..frame.length-1`; rows outside give all-zero features.
 */
export function writeMarketFeatures(frame: FeatureFrame, i: number, out: Float32Array | Float64Array, offset: number): void {
  if (!(i >= 0 && i < frame.length)) {
    for (let k = 0; k < MARKET_FEATURE_NAMES.length; k++) out[offset + k] = 0;
    return;
  }
  const close = frame.close[i];
  const atr = frame.atr[ATR_PERIOD]?.[i] ?? NaN;
  const logReturn = (k: number) => (i >= k ? Math.log(close / frame.close[i - k]) : NaN);
  const rsi = frame.rsi[RSI_PERIOD]?.[i] ?? NaN;
  const sma = frame.sma[SMA_PERIOD]?.[i] ?? NaN;
  const ema = frame.ema[EMA_PERIOD]?.[i] ?? NaN;
  const upper = frame.donchianUpper[DONCHIAN_PERIOD]?.[i] ?? NaN;
  const lower = frame.donchianLower[DONCHIAN_PERIOD]?.[i] ?? NaN;
  const width = upper - lower;
  const atrOk = atr > 0;
  out[offset] = finiteOr0(logReturn(1));
  out[offset + 1] = finiteOr0(logReturn(4));
  out[offset + 2] = finiteOr0(logReturn(16));
  out[offset + 3] = atrOk ? finiteOr0(atr / close) : 0;
  out[offset + 4] = finiteOr0((rsi - 50) / 50);
  out[offset + 5] = atrOk ? finiteOr0((close - sma) / atr) : 0;
  out[offset + 6] = atrOk ? finiteOr0((close - ema) / atr) : 0;
  out[offset + 7] = width > 0 ? finiteOr0((2 * (close - lower)) / width - 1) : 0;
  out[offset + 8] = atrOk ? finiteOr0((frame.high[i] - frame.low[i]) / atr) : 0;
}

/**
 * Writes the intent features of a prospective entry at row `i` into `out[offset .. offset + 10)`.
 * @param side +1 for a long entry, -1 for a short one.
 * @throws RangeError when `side` is not +1 or -1.
 */
export function writeIntentFeatures(frame: FeatureFrame, i: number, side: number, out: Float32Array | Float64Array, offset: number): void {
  if (side !== 1 && side !== -1) throw new RangeError(`side (${String(side)}) must be 1 (long) or -1 (short)`);
  out[offset] = side;
  writeMarketFeatures(frame, i, out, offset + 1);
  for (let k = 0; k < DIRECTIONAL.length; k++) {
    if (DIRECTIONAL[k]) out[offset + 1 + k] = out[offset + 1 + k] * side;
  }
}

/**
 * The intent-veto input vector for an entry of `side` at row `i` (see the module comment).
 * Allocates one Float32Array of {@link INTENT_FEATURE_NAMES}.length; meant for the moment a signal fires.
 * @throws RangeError when `side` is not +1 or -1.
 */
export function intentFeatures(frame: FeatureFrame, i: number, side: number): Float32Array {
  const out = new Float32Array(INTENT_FEATURE_NAMES.length);
  writeIntentFeatures(frame, i, side, out, 0);
  return out;
}
