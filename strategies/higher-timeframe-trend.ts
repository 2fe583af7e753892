/**
 * Two-timeframe trend filter: trade pullbacks on the base candles only in the direction of the
 * higher timeframe's trend.
 *
 * What it tells a trader: the higher timeframe (e.g. 4-hour buckets built from 1-hour candles) is
 * trending up — its last completed close is above the average of its recent closes — and on the
 * base timeframe price has just closed back above its EMA after a pullback: join the uptrend. The
 * mirror image sells rallies in a higher-timeframe downtrend. When the higher timeframe turns
 * against an open position, it asks to close it.
 *
 * Source: Alexander Elder, "Trading for a Living" (Wiley, 1993), the Triple Screen: take the trend
 * from a timeframe longer than the one you trade, and enter on the shorter timeframe's pullbacks
 * against it. Moving averages as trend definition: John J. Murphy, "Technical Analysis of the
 * Financial Markets" (1999), ch. 9.
 *
 * No look-ahead: higher-timeframe buckets are `bucketMinutes` windows aligned to UTC (a 240-minute
 * bucket starts at 00:00, 04:00, …), derived from each candle's open time. At row i only buckets
 * before the one row i belongs to count as completed — a bucket's close (the close of its last
 * candle) is used from the first candle of a later bucket on, never while the bucket still forms.
 * Buckets are found by binary search on the open times, so a row costs O(trendBuckets · log i).
 *
 * Rules at row i:
 * - trend = +1 when the last completed bucket's close is above the mean of the last `trendBuckets`
 *   completed bucket closes (itself included), −1 when below, 0 when equal or too few buckets.
 * - long when trend = +1 and the close crosses above EMA(emaPeriod): close[i-1] <= ema[i-1] and
 *   close[i] > ema[i]; short when trend = −1 and close[i-1] >= ema[i-1] and close[i] < ema[i].
 * - exit (on rows without a signal): close longs when trend = −1, close shorts when trend = +1.
 * - strength = 0.5 + 0.5 × min(1, |close − ema| / ATR); stopHint = close ∓ atrStopMultiple × ATR.
 * - warm-up: row max(emaPeriod, atrPeriod − 1), and flat until `trendBuckets` buckets have completed.
 */
import { COMMON_REASONS, Direction, defineStrategy, setFlat, z } from 'aethelred/strategy';

const REASONS = {
  PullbackEndedInUptrend: 'higher-timeframe-trend: close back above the EMA in a higher-timeframe uptrend',
  RallyEndedInDowntrend: 'higher-timeframe-trend: close back below the EMA in a higher-timeframe downtrend',
  TrendTurnedDown: 'higher-timeframe-trend: higher timeframe trends down (close longs)',
  TrendTurnedUp: 'higher-timeframe-trend: higher timeframe trends up (close shorts)',
} as const;

/** Largest row k <= hi whose open time is before `timeMs` (open times ascend), or -1. */
function lastRowBefore(openTimeMs: Float64Array, hi: number, timeMs: number): number {
  if (hi < 0 || openTimeMs[0] >= timeMs) return -1;
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (openTimeMs[mid] < timeMs) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export default defineStrategy({
  name: 'higher-timeframe-trend',
  version: '1.0.0',
  summary: 'Buys pullbacks in a higher-timeframe uptrend and sells rallies in a downtrend (Elder\'s Triple Screen).',
  params: z.object({
    bucketMinutes: z.number().int().min(2).max(43_200).default(240).describe('Higher timeframe, in minutes (aligned to UTC)'),
    trendBuckets: z.number().int().min(2).max(500).default(20).describe('Completed higher-timeframe closes in the trend average'),
    emaPeriod: z.number().int().min(2).max(1000).default(20).describe('Base-timeframe EMA the pullback must close back across'),
    atrPeriod: z.number().int().min(1).max(1000).default(14).describe('ATR period for stops and strength'),
    atrStopMultiple: z.number().positive().max(100).default(2).describe('Protective stop distance from the close, in ATRs'),
  }),
  indicators: (p) => ({ ema: [p.emaPeriod], atr: [p.atrPeriod] }),
  warmup: (p) => Math.max(p.emaPeriod, p.atrPeriod - 1),
  evaluate(f, i, out, p) {
    if (i < 1) return setFlat(out, COMMON_REASONS.WarmUp);
    const ema = f.ema[p.emaPeriod];
    const e0 = ema[i];
    const e1 = ema[i - 1];
    const atr = f.atr[p.atrPeriod][i];
    if (e0 !== e0 || e1 !== e1 || atr !== atr) return setFlat(out, COMMON_REASONS.WarmUp);

    // Higher-timeframe trend from completed buckets only.
    const times = f.openTimeMs;
    const closes = f.close;
    const bucketMs = p.bucketMinutes * 60_000;
    let row = lastRowBefore(times, i, Math.floor(times[i] / bucketMs) * bucketMs);
    let count = 0;
    let sum = 0;
    let last = 0;
    while (row >= 0 && count < p.trendBuckets) {
      const close = closes[row];
      if (count === 0) last = close;
      sum += close;
      count++;
      row = lastRowBefore(times, row, Math.floor(times[row] / bucketMs) * bucketMs);
    }
    if (count < p.trendBuckets) return setFlat(out, COMMON_REASONS.WarmUp);
    const mean = sum / count;
    const trend = last > mean ? 1 : last < mean ? -1 : 0;

    const c0 = closes[i];
    const c1 = closes[i - 1];
    let side: Direction = Direction.Flat;
    if (trend === 1 && c1 <= e1 && c0 > e0) {
      side = Direction.Long;
      out.reason = REASONS.PullbackEndedInUptrend;
    } else if (trend === -1 && c1 >= e1 && c0 < e0) {
      side = Direction.Short;
      out.reason = REASONS.RallyEndedInDowntrend;
    }
    if (side === Direction.Flat) {
      setFlat(out, COMMON_REASONS.NoSignal);
      if (trend === -1) {
        out.exit = Direction.Long;
        out.reason = REASONS.TrendTurnedDown;
      } else if (trend === 1) {
        out.exit = Direction.Short;
        out.reason = REASONS.TrendTurnedUp;
      }
      return;
    }
    out.side = side;
    out.exit = Direction.Flat;
    const x = atr > 0 ? (c0 > e0 ? c0 - e0 : e0 - c0) / atr : 0;
    out.strength = 0.5 + 0.5 * (x < 1 ? x : 1);
    if (atr > 0) out.stopHint = c0 - side * p.atrStopMultiple * atr;
    else out.stopHint = NaN;
  },
});
