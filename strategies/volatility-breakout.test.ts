import { describe, expect, it } from 'vitest';
import { COMMON_REASONS, ExitPolicySchema } from 'aethelred/strategy';
import { candlesFromCloses, evaluateRows, expectNoLookAhead, fired } from '../tests/support/strategy-definition-frames';
import volatilityBreakout from './volatility-breakout';

const params = { atrPeriod: 2, breakoutAtr: 1, atrStopMultiple: 1, holdBars: 5 };
const closes = [10, 11, 10, 11, 16, 15, 9, 9];
// True ranges (|Δclose| + 2; row 0: 2): 2, 3, 3, 3, 7, 3, 8, 2.
// Wilder ATR(2): row 1 (2+3)/2 = 2.5; then avg += (tr − avg)/2: row 2 2.75, row 3 2.875, row 4 4.9375,
//   row 5 3.96875, row 6 5.984375.
// Row 4: move +5 > 1 × ATR[3] = 2.875 -> long; excess 2.125/2.875 = 17/23 -> strength 0.5 + 17/46 = 20/23;
//   stop 16 − 2.875 = 13.125.
// Row 6: move −6, 6 > ATR[5] = 3.96875 -> short; excess 2.03125/3.96875 = 65/127 -> strength 0.5 + 65/254 = 96/127;
//   stop 9 + 3.96875 = 12.96875.
// Rows 2, 3, 5, 7: |move| 1, 1, 1, 0 stay below 2.5, 2.75, 4.9375, 5.984375.
const candles = candlesFromCloses(closes);

describe('volatility-breakout strategy file', () => {
  it('follows a close-to-close move larger than k ATRs of the previous candle', () => {
    const rows = fired(evaluateRows(volatilityBreakout, params, candles));
    expect(rows.map(({ i, side, stopHint, reason, exit }) => ({ i, side, stopHint, reason, exit }))).toEqual([
      { i: 4, side: 1, stopHint: 13.125, reason: 'volatility-breakout: close rose more than the ATR threshold', exit: 0 },
      { i: 6, side: -1, stopHint: 12.96875, reason: 'volatility-breakout: close fell more than the ATR threshold', exit: 0 },
    ]);
    expect(rows[0].strength).toBeCloseTo(20 / 23, 12);
    expect(rows[1].strength).toBeCloseTo(96 / 127, 12);
  });

  it('stays flat during warm-up (rows 0 and 1) and without a large enough move', () => {
    const rows = evaluateRows(volatilityBreakout, params, candles);
    expect(rows.map((r) => r.reason === COMMON_REASONS.WarmUp)).toEqual([true, true, false, false, false, false, false, false]);
    expect(rows.filter((r) => r.side === 0).map((r) => r.i)).toEqual([0, 1, 2, 3, 5, 7]);
  });

  it('fires on a move exactly at the threshold only when it is larger', () => {
    // ATR(1) = true range; row 1: TR 2 (|Δ| 0 + 2); row 2 moves +2 = 1 × ATR[1]: not larger -> flat.
    // Row 3 moves +4.5 > 1 × ATR[2] = 4 -> long.
    const rows = evaluateRows(volatilityBreakout, { atrPeriod: 1, breakoutAtr: 1 }, candlesFromCloses([10, 10, 12, 16.5]));
    expect(fired(rows).map((r) => r.i)).toEqual([3]);
  });

  it('never reads a later candle', () => {
    expectNoLookAhead(volatilityBreakout, params, candles);
  });

  it('declares a time stop of holdBars candles as its default exit', () => {
    const p = volatilityBreakout.params.parse({});
    expect(p).toEqual({ atrPeriod: 14, breakoutAtr: 1.5, atrStopMultiple: 2, holdBars: 10 });
    expect(ExitPolicySchema.parse(volatilityBreakout.exits!(p))).toEqual({ timeStop: { bars: 10 } });
    expect(volatilityBreakout.indicators(p)).toEqual({ atr: [14] });
    expect(volatilityBreakout.warmup(p)).toBe(14);
  });
});
