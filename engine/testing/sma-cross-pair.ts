/**
 * One strategy written twice, for the rule-versus-code equivalence test and the bench: an SMA
 * crossover with a 2 ATR(14) stop, as a rule strategy (JSON) and as a hand-written definition.
 * Both go long when SMA(fast) crosses above SMA(slow), short on the cross below, with strength 1.
 */
import { COMMON_REASONS, Direction, crossDirection, defineStrategy, setFlat, z } from '../strategies/strategy-api';

/** The rule strategy: SMA(fast) crossing SMA(slow), 2 ATR(14) stop. */
export function smaCrossRule(name: string, fast = 10, slow = 30): Record<string, unknown> {
  const sma = (period: number) => ({ indicator: 'sma', period });
  return {
    name,
    description: `SMA ${fast}/${slow} cross, 2 ATR stop`,
    long: { all: [{ left: sma(fast), op: 'crossesAbove', right: sma(slow) }] },
    short: { all: [{ left: sma(fast), op: 'crossesBelow', right: sma(slow) }] },
    stop: { atrMultiple: 2, atrPeriod: 14 },
  };
}

/** The same strategy written by hand against the strategy API. */
export function handWrittenSmaCross(name: string, fast = 10, slow = 30) {
  return defineStrategy({
    name,
    version: '1.0.0',
    summary: `SMA ${fast}/${slow} cross, 2 ATR stop (hand-written)`,
    params: z.object({}),
    indicators: () => ({ sma: [fast, slow], atr: [14] }),
    warmup: () => Math.max(slow, 13),
    evaluate(f, i, out) {
      if (i < slow) return setFlat(out, COMMON_REASONS.WarmUp);
      const a = f.sma[fast];
      const b = f.sma[slow];
      const side: Direction = crossDirection(a, b, i);
      if (side === Direction.Flat) return setFlat(out, COMMON_REASONS.NoSignal);
      const atr = f.atr[14][i];
      out.side = side;
      out.strength = 1;
      out.reason = side === Direction.Long ? 'sma cross up' : 'sma cross down';
      out.exit = Direction.Flat;
      if (atr > 0) out.stopHint = f.close[i] - side * 2 * atr;
      else out.stopHint = NaN;
    },
  });
}
