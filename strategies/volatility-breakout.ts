/**
 * Volatility breakout with a time stop.
 *
 * What it tells a trader: this candle's close moved further from the previous close than
 * `breakoutAtr` times the average true range measured before it — an unusually large move for the
 * current volatility, which often starts a short burst in the same direction. Buy the upside
 * burst, sell the downside burst. It does not look at levels or trends, only at the size of the
 * move relative to recent volatility; a breakout that has not paid within `holdBars` candles is
 * closed by the time stop, since the follow-through of a burst, if any, comes soon.
 *
 * Sources: Larry Williams, "Long-Term Secrets to Short-Term Trading" (Wiley, 1999) — volatility
 * breakouts: enter when price moves more than a fraction of the recent range from a reference
 * price; Toby Crabel, "Day Trading with Short Term Price Patterns and Opening Range Breakout"
 * (Traders Press, 1990) — range expansion after contraction, with short holding periods. ATR:
 * J. Welles Wilder, "New Concepts in Technical Trading Systems" (1978).
 *
 * Rules at row i (ATR measured up to the previous candle, so the breakout candle does not widen
 * its own threshold):
 * - long when close[i] − close[i-1] > breakoutAtr × ATR[i-1]; short when
 *   close[i-1] − close[i] > breakoutAtr × ATR[i-1]; otherwise no signal. No exit instruction.
 * - strength = 0.5 + 0.5 × min(1, (|close[i] − close[i-1]| − threshold) / ATR[i-1]): how far the
 *   move went beyond the threshold.
 * - stopHint = close ∓ atrStopMultiple × ATR[i-1].
 * - exits: a time stop after `holdBars` candles.
 * - warm-up: row atrPeriod (ATR is first known at row atrPeriod − 1).
 */
import { COMMON_REASONS, Direction, defineStrategy, setFlat, z } from 'aethelred/strategy';

const REASONS = {
  BurstUp: 'volatility-breakout: close rose more than the ATR threshold',
  BurstDown: 'volatility-breakout: close fell more than the ATR threshold',
} as const;

export default defineStrategy({
  name: 'volatility-breakout',
  version: '1.0.0',
  summary: 'Follows a close-to-close move larger than k × ATR; exits on a time stop.',
  params: z.object({
    atrPeriod: z.number().int().min(1).max(1000).default(14).describe('ATR period (candles)'),
    breakoutAtr: z.number().positive().max(20).default(1.5).describe('Move needed, in ATRs of the previous candle'),
    atrStopMultiple: z.number().positive().max(100).default(2).describe('Protective stop distance from the close, in ATRs'),
    holdBars: z.number().int().min(1).max(10_000).default(10).describe('Time stop: candles a position is held at most'),
  }),
  indicators: (p) => ({ atr: [p.atrPeriod] }),
  warmup: (p) => p.atrPeriod,
  exits: (p) => ({ timeStop: { bars: p.holdBars } }),
  evaluate(f, i, out, p) {
    if (i < 1) return setFlat(out, COMMON_REASONS.WarmUp);
    const atr = f.atr[p.atrPeriod][i - 1];
    if (atr !== atr) return setFlat(out, COMMON_REASONS.WarmUp);
    const move = f.close[i] - f.close[i - 1];
    const threshold = p.breakoutAtr * atr;
    let side: Direction;
    if (move > threshold) {
      side = Direction.Long;
      out.reason = REASONS.BurstUp;
    } else if (-move > threshold) {
      side = Direction.Short;
      out.reason = REASONS.BurstDown;
    } else {
      return setFlat(out, COMMON_REASONS.NoSignal);
    }
    out.side = side;
    out.exit = Direction.Flat;
    const x = atr > 0 ? ((move > 0 ? move : -move) - threshold) / atr : 0;
    out.strength = 0.5 + 0.5 * (x < 1 ? x : 1);
    if (atr > 0) out.stopHint = f.close[i] - side * p.atrStopMultiple * atr;
    else out.stopHint = NaN;
  },
});
