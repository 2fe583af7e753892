/**
 * Bollinger-band mean reversion with a trailing exit.
 *
 * What it tells a trader: price closed outside its Bollinger band (more than `bandWidth` standard
 * deviations from its `period`-candle mean) and has just closed back inside it — the stretch is
 * being given back, so price may revert toward the middle band. Buy the re-entry from below the
 * lower band, sell the re-entry from above the upper band. It works in ranges and loses in strong
 * trends, where price "walks the band"; the trailing stop caps what such a trend can take back.
 *
 * Source: John Bollinger, "Bollinger on Bollinger Bands" (McGraw-Hill, 2001): bands at the 20-period
 * simple moving average ± 2 population standard deviations of the close; a close outside the band
 * followed by a close back inside is a reversal setup, and the middle band is the first target.
 * Trailing stop a multiple of ATR below the best price: Chuck LeBeau's "chandelier exit" (as
 * described in Alexander Elder, "Come Into My Trading Room", Wiley, 2002).
 *
 * Rules at row i (lower/upper = SMA(period) ∓ bandWidth × StdDev(period), population, of the close):
 * - long when close[i-1] < lower[i-1] and close[i] >= lower[i]; short when close[i-1] > upper[i-1]
 *   and close[i] <= upper[i]; otherwise no signal.
 * - exit (on rows without a signal): close a long once the close is at or above the middle band
 *   (the mean it reverted to); close a short once the close is below it.
 * - strength = 0.5 + 0.5 × min(1, |close[i] − close[i-1]| / ATR[i]): how hard price snapped back.
 * - stopHint = close ∓ atrStopMultiple × ATR (none when the ATR is 0).
 * - exits: a trailing stop `trailingAtrMultiple` × ATR(atrPeriod) behind the best price.
 * - warm-up: row max(period, atrPeriod − 1) — the bands of the previous row must exist.
 */
import { COMMON_REASONS, Direction, defineStrategy, setFlat, z } from 'aethelred/strategy';

const REASONS = {
  BackAboveLower: 'bollinger-reversion: close back above the lower band',
  BackBelowUpper: 'bollinger-reversion: close back below the upper band',
  LongAtMean: 'bollinger-reversion: close at or above the middle band (close longs)',
  ShortBelowMean: 'bollinger-reversion: close below the middle band (close shorts)',
} as const;

export default defineStrategy({
  name: 'bollinger-reversion',
  version: '1.0.0',
  summary: 'Fades a close back inside the Bollinger bands; exits at the middle band or on an ATR trailing stop.',
  params: z.object({
    period: z.number().int().min(2).max(1000).default(20).describe('Candles in the mean and the standard deviation'),
    bandWidth: z.number().positive().max(10).default(2).describe('Band distance from the mean, in standard deviations'),
    atrPeriod: z.number().int().min(1).max(1000).default(14).describe('ATR period for stops and strength'),
    atrStopMultiple: z.number().positive().max(100).default(2).describe('Protective stop distance from the close, in ATRs'),
    trailingAtrMultiple: z.number().positive().max(100).default(3).describe('Trailing stop distance behind the best price, in ATRs'),
  }),
  indicators: (p) => ({ sma: [p.period], stddev: [p.period], atr: [p.atrPeriod] }),
  warmup: (p) => Math.max(p.period, p.atrPeriod - 1),
  exits: (p) => ({ trailingStop: { atrMultiple: p.trailingAtrMultiple, atrPeriod: p.atrPeriod } }),
  evaluate(f, i, out, p) {
    if (i < 1) return setFlat(out, COMMON_REASONS.WarmUp);
    const mean = f.sma[p.period];
    const sd = f.stddev[p.period];
    const m0 = mean[i];
    const m1 = mean[i - 1];
    const s0 = sd[i];
    const s1 = sd[i - 1];
    const atr = f.atr[p.atrPeriod][i];
    if (m0 !== m0 || m1 !== m1 || s0 !== s0 || s1 !== s1 || atr !== atr) return setFlat(out, COMMON_REASONS.WarmUp);
    const c0 = f.close[i];
    const c1 = f.close[i - 1];
    let side: Direction = Direction.Flat;
    if (c1 < m1 - p.bandWidth * s1 && c0 >= m0 - p.bandWidth * s0) {
      side = Direction.Long;
      out.reason = REASONS.BackAboveLower;
    } else if (c1 > m1 + p.bandWidth * s1 && c0 <= m0 + p.bandWidth * s0) {
      side = Direction.Short;
      out.reason = REASONS.BackBelowUpper;
    }
    if (side === Direction.Flat) {
      setFlat(out, COMMON_REASONS.NoSignal);
      if (c0 >= m0) {
        out.exit = Direction.Long;
        out.reason = REASONS.LongAtMean;
      } else {
        out.exit = Direction.Short;
        out.reason = REASONS.ShortBelowMean;
      }
      return;
    }
    out.side = side;
    out.exit = Direction.Flat;
    const x = atr > 0 ? (c0 > c1 ? c0 - c1 : c1 - c0) / atr : 0;
    out.strength = 0.5 + 0.5 * (x < 1 ? x : 1);
    if (atr > 0) out.stopHint = c0 - side * p.atrStopMultiple * atr;
    else out.stopHint = NaN;
  },
});
