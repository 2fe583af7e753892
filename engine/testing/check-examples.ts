/**
 * Strategies for testing the look-ahead and recursion check (made-up rules, not for trading):
 * one that reads the next candle (look-ahead), one whose declared startup history is too short for its EMA
 * (recursion), and one that reads only an SMA of past closes (passes both).
 */
import type { FeatureFrame } from '../features/feature-frame';
import { COMMON_REASONS, Direction, setFlat, type AdapterOutput, type StrategyAdapter } from '../strategies/strategy-adapter';

/**
 * The deliberately leaky example: long when the NEXT candle closes higher than this one, stop 5
 * below the close. It reads `f.close[i + 1]`, a candle that has not closed yet at row i.
 */
export const leakyNextClose: StrategyAdapter = Object.freeze({
  name: 'leaky-next-close',
  config: Object.freeze({}),
  features: Object.freeze({ sma: Object.freeze([3]) }),
  warmup: 2,
  evaluate(f: FeatureFrame, i: number, out: AdapterOutput) {
    if (f.close[i + 1] > f.close[i]) {
      out.side = Direction.Long;
      out.strength = 1;
      out.stopHint = f.close[i] - 5;
      out.reason = 'leaky: next close is higher';
      out.exit = Direction.Flat;
    } else setFlat(out, COMMON_REASONS.NoSignal);
  },
});

/**
 * The recursion example: long while the close is above EMA(10), declaring a warm-up and a startup
 * history of 10 candles (EMA(10) needs 46 to forget its seed). Built by hand, not from a definition,
 * so nothing raises its startup to what its EMA needs: it keeps failing the recursion check.
 */
export const shortWarmupEma: StrategyAdapter = Object.freeze({
  name: 'short-warmup-ema',
  config: Object.freeze({}),
  features: Object.freeze({ ema: Object.freeze([10]) }),
  warmup: 10,
  startupCandles: 10,
  evaluate(f: FeatureFrame, i: number, out: AdapterOutput) {
    if (f.close[i] > f.ema[10][i]) {
      out.side = Direction.Long;
      out.strength = 0.5;
      out.stopHint = NaN;
      out.reason = 'close above EMA(10)';
      out.exit = Direction.Flat;
    } else setFlat(out, COMMON_REASONS.NoSignal);
  },
});

/** Passes both checks: long when the close is above SMA(5) of past closes (warm-up 4 = SMA's own). */
export const closeAboveSma: StrategyAdapter = Object.freeze({
  name: 'close-above-sma',
  config: Object.freeze({}),
  features: Object.freeze({ sma: Object.freeze([5]) }),
  warmup: 4,
  evaluate(f: FeatureFrame, i: number, out: AdapterOutput) {
    if (f.close[i] > f.sma[5][i]) {
      out.side = Direction.Long;
      out.strength = 0.5;
      out.stopHint = NaN;
      out.reason = 'close above SMA(5)';
      out.exit = Direction.Flat;
    } else setFlat(out, COMMON_REASONS.NoSignal);
  },
});

/** The check's examples by name. */
export const CHECK_EXAMPLES: Readonly<Record<string, StrategyAdapter>> = Object.freeze({
  [leakyNextClose.name]: leakyNextClose,
  [shortWarmupEma.name]: shortWarmupEma,
  [closeAboveSma.name]: closeAboveSma,
});
