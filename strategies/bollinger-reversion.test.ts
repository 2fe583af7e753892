import { describe, expect, it } from 'vitest';
import { COMMON_REASONS, ExitPolicySchema } from 'aethelred/strategy';
import { candlesFromCloses, evaluateRows, expectNoLookAhead, fired } from '../tests/support/strategy-definition-frames';
import bollingerReversion from './bollinger-reversion';

// period 3, bands ±1 population standard deviation, ATR(1) = true range = |Δclose| + 2, stop 1 ATR.
const params = { period: 3, bandWidth: 1, atrPeriod: 1, atrStopMultiple: 1 };
const closes = [10, 10, 10, 7, 9, 10, 13, 11, 10];
// Bands by hand (mean m, population sd s over the last 3 closes):
// row 3: [10,10,7]  m 9,      s² = (1+1+4)/3 = 2            -> lower 9 − 1.414 = 7.586, close 7 is below
// row 4: [10,7,9]   m 26/3,   s² = (16/9+25/9+1/9)/3 = 14/9 -> lower 8.667 − 1.247 = 7.419, close 9 is back inside
//        -> long at row 4: strength 0.5 + 0.5·|9 − 7|/4 = 0.75 (ATR = 2 + 2), stop 9 − 4 = 5
// row 5: [7,9,10]   m 26/3, close 10 >= mean -> close longs
// row 6: [9,10,13]  m 32/3,   s² = (25/9+4/9+49/9)/3 = 26/9 -> upper 10.667 + 1.700 = 12.366, close 13 is above
// row 7: [10,13,11] m 34/3,   s² = 14/9                     -> upper 11.333 + 1.247 = 12.581, close 11 is back inside
//        -> short at row 7: strength 0.5 + 0.5·|11 − 13|/4 = 0.75, stop 11 + 4 = 15
// row 8: [13,11,10] m 34/3, close 10 < mean -> close shorts
const candles = candlesFromCloses(closes);

describe('bollinger-reversion strategy file', () => {
  it('buys the close back above the lower band and sells the close back below the upper band', () => {
    const rows = evaluateRows(bollingerReversion, params, candles);
    expect(fired(rows).map(({ i, side, stopHint, reason }) => ({ i, side, stopHint, reason }))).toEqual([
      { i: 4, side: 1, stopHint: 5, reason: 'bollinger-reversion: close back above the lower band' },
      { i: 7, side: -1, stopHint: 15, reason: 'bollinger-reversion: close back below the upper band' },
    ]);
    expect(fired(rows).map((r) => r.strength)).toEqual([0.75, 0.75]);
  });

  it('asks to close longs at or above the middle band and shorts below it, and nothing during warm-up', () => {
    const rows = evaluateRows(bollingerReversion, params, candles);
    expect(rows.map((r) => r.exit)).toEqual([0, 0, 0, -1, 0, 1, 1, 0, -1]);
    expect(rows.slice(0, 3).map((r) => r.reason)).toEqual([COMMON_REASONS.WarmUp, COMMON_REASONS.WarmUp, COMMON_REASONS.WarmUp]);
    expect(rows[5].reason).toBe('bollinger-reversion: close at or above the middle band (close longs)');
    expect(rows[8].reason).toBe('bollinger-reversion: close below the middle band (close shorts)');
  });

  it('never reads a later candle', () => {
    expectNoLookAhead(bollingerReversion, params, candles);
  });

  it('declares an ATR trailing stop as its default exit and reads SMA, StdDev and ATR columns', () => {
    const p = bollingerReversion.params.parse({});
    expect(p).toEqual({ period: 20, bandWidth: 2, atrPeriod: 14, atrStopMultiple: 2, trailingAtrMultiple: 3 });
    expect(ExitPolicySchema.parse(bollingerReversion.exits!(p))).toEqual({ trailingStop: { atrMultiple: 3, atrPeriod: 14 } });
    expect(bollingerReversion.indicators(p)).toEqual({ sma: [20], stddev: [20], atr: [14] });
    expect(bollingerReversion.warmup(p)).toBe(20);
  });

  it('rejects a period below 2 naming the field', () => {
    const result = bollingerReversion.params.safeParse({ period: 1 });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => issue.path)).toEqual([['period']]);
  });
});
