import { describe, expect, it } from 'vitest';
import { COMMON_REASONS } from 'aethelred/strategy';
import { HOUR_MS, candlesFromCloses, evaluateRows, expectNoLookAhead, fired } from '../tests/support/strategy-definition-frames';
import higherTimeframeTrend from './higher-timeframe-trend';

// Hourly candles from 00:00 UTC, 2-hour buckets (rows 2b and 2b+1 form bucket b; its close is row 2b+1's),
// trend = last of the 2 latest completed bucket closes vs their mean, EMA(2), ATR(1) = |Δclose| + 2, stop 1 ATR.
const params = { bucketMinutes: 120, trendBuckets: 2, emaPeriod: 2, atrPeriod: 1, atrStopMultiple: 1 };
const closes = [10, 11, 12, 13, 12, 14, 13, 9, 11, 10];
// Bucket closes: b0 11, b1 13, b2 14, b3 9, (b4 still forming at row 9).
// Completed buckets and trend per row: rows 2-3 only b0 (warm-up); rows 4-5 b0,b1: 13 > 12 -> up;
//   rows 6-7 b1,b2: 14 > 13.5 -> up (row 7 closes b3 at 9, but b3 is not complete until row 8);
//   rows 8-9 b2,b3: 9 < 11.5 -> down.
// EMA(2), k = 2/3, seeded with 10: e1 32/3, e2 104/9, e3 338/27, e4 986/81 (12.17), e5 3254/243 (13.39),
//   e6 9572/729 (13.13), e7 22694/2187 (10.38), e8 70808/6561 (10.79), e9 202028/19683 (10.26).
// Row 5: 12 <= e4 and 14 > e5 in an uptrend -> long; ATR 4; strength 0.5 + 0.5·(14 − e5)/4 = 0.5 + 37/486; stop 10.
// Row 6: 14 >= e5 and 13 < e6, a cross down, but the trend is up -> no short.
// Row 8: 9 <= e7 and 11 > e8, a cross up, but the trend is down -> no long.
// Row 9: 11 >= e8 and 10 < e9 in a downtrend -> short; ATR 3; strength 0.5 + 0.5·(e9 − 10)/3 = 0.5 + 2599/59049; stop 13.
const candles = candlesFromCloses(closes, HOUR_MS);

describe('higher-timeframe-trend strategy file', () => {
  it('buys the pullback in a higher-timeframe uptrend and sells the rally in a downtrend, not against it', () => {
    const rows = fired(evaluateRows(higherTimeframeTrend, params, candles));
    expect(rows.map(({ i, side, stopHint, reason }) => ({ i, side, stopHint, reason }))).toEqual([
      { i: 5, side: 1, stopHint: 10, reason: 'higher-timeframe-trend: close back above the EMA in a higher-timeframe uptrend' },
      { i: 9, side: -1, stopHint: 13, reason: 'higher-timeframe-trend: close back below the EMA in a higher-timeframe downtrend' },
    ]);
    expect(rows[0].strength).toBeCloseTo(0.5 + 37 / 486, 12);
    expect(rows[1].strength).toBeCloseTo(0.5 + 2599 / 59049, 12);
  });

  it('uses a bucket only once a candle of a later bucket closed: closes longs from row 8, not at row 7', () => {
    const rows = evaluateRows(higherTimeframeTrend, params, candles);
    expect(rows.map((r) => r.exit)).toEqual([0, 0, 0, 0, -1, 0, -1, -1, 1, 0]);
    expect(rows.slice(0, 4).map((r) => r.reason)).toEqual(Array(4).fill(COMMON_REASONS.WarmUp));
    expect(rows[8].reason).toBe('higher-timeframe-trend: higher timeframe trends down (close longs)');
  });

  it('takes a bucket with a missing candle from the candles it has', () => {
    // Row 2 (02:00, the first hour of bucket 1) is missing: bucket 1 is the 03:00 candle alone (close 13).
    // Closes 10, 11, 13, 12, 14, 13, 9, 11, 10 at hours 0, 1, 3, 4, ..., 9; EMA(2): e2 110/9, e3 326/27 (12.07),
    // e4 1082/81 (13.36), e5 3188/243, e6 7562/729, e7 23600/2187, e8 67340/6561 (10.26).
    // Row 2 (03:00): only b0 completed -> warm-up. Rows 3-4 (hours 4-5): b0 11, b1 13 -> up;
    //   row 3: 13 > e2 and 12 < e3, a cross down against the trend -> close shorts; row 4: 12 <= e3, 14 > e4 -> long.
    // Rows 5-6 (hours 6-7): b1 13, b2 14 -> up; rows 7-8 (hours 8-9): b2 14, b3 9 -> down; row 8: 11 >= e7, 10 < e8 -> short.
    const gapped = candles.filter((_, i) => i !== 2);
    const rows = evaluateRows(higherTimeframeTrend, params, gapped);
    expect(fired(rows).map((r) => [r.i, r.side])).toEqual([
      [4, 1],
      [8, -1],
    ]);
    expect(rows.map((r) => r.exit)).toEqual([0, 0, 0, -1, 0, -1, -1, 1, 0]);
    expect(rows.slice(0, 3).map((r) => r.reason)).toEqual(Array(3).fill(COMMON_REASONS.WarmUp));
  });

  it('never reads a later candle', () => {
    expectNoLookAhead(higherTimeframeTrend, params, candles);
  });

  it('defaults to 4-hour buckets, 20 of them, and EMA(20) on the base candles', () => {
    const p = higherTimeframeTrend.params.parse({});
    expect(p).toEqual({ bucketMinutes: 240, trendBuckets: 20, emaPeriod: 20, atrPeriod: 14, atrStopMultiple: 2 });
    expect(higherTimeframeTrend.indicators(p)).toEqual({ ema: [20], atr: [14] });
    expect(higherTimeframeTrend.warmup(p)).toBe(20);
    expect(higherTimeframeTrend.exits).toBeUndefined();
  });
});
